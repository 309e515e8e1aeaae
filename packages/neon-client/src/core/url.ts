/** URL building from a path template, path parameters and a query. */

/** A query value as the endpoint methods pass it; arrays repeat the key. */
export type QueryValue = string | number | boolean | readonly (string | number | boolean)[] | null | undefined;

/** Fills `{name}` placeholders with encoded values; throws on a missing or empty one. */
export function fillPath(template: string, params: Readonly<Record<string, string | number>> = {}): string {
  return template.replace(/\{([^}]+)\}/g, (_m, name: string) => {
    const value = params[name];
    if (value === undefined || value === '') throw new TypeError(`Missing path parameter "${name}" for ${template}`);
    return encodeURIComponent(String(value));
  });
}

/** Query string without the leading `?` (empty when nothing is set). Undefined and null values are left out. */
export function buildQuery(query: Readonly<Record<string, QueryValue>> | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null) continue;
    if (Array.isArray(value)) {
      for (const item of value as readonly (string | number | boolean)[]) params.append(key, String(item));
    } else {
      params.append(key, String(value));
    }
  }
  return params.toString();
}

/** Joins the base URL (with or without a trailing slash) and a filled path plus query. */
export function buildUrl(baseUrl: string, path: string, query?: Readonly<Record<string, QueryValue>>): string {
  const base = baseUrl.endsWith('/') ? baseUrl.slice(0, -1) : baseUrl;
  const qs = buildQuery(query);
  return `${base}${path}${qs ? `?${qs}` : ''}`;
}
