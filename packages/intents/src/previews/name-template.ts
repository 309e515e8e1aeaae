import { NEON_BRANCH_NAME_MAX } from './params.js';

/** The default preview branch name, as Neon's own GitHub integration names them. */
export const DEFAULT_PREVIEW_NAME_TEMPLATE = 'preview/pr-{number}-{head_ref}';

/** What a template may name; each value comes from the pull request event. */
export const TEMPLATE_PLACEHOLDERS = ['number', 'head_ref', 'base_ref', 'repo', 'owner', 'sha'] as const;
export type TemplatePlaceholder = (typeof TEMPLATE_PLACEHOLDERS)[number];
export type TemplateValues = Record<TemplatePlaceholder, string>;

/** The template names a placeholder we do not know, or renders to no usable name. */
export class PreviewNameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PreviewNameError';
  }
}

const PLACEHOLDER = /\{([^{}]*)\}/g;

/** Throws `PreviewNameError` when the template uses an unknown placeholder or braces that do not pair. */
export function checkNameTemplate(template: string): void {
  for (const match of template.matchAll(PLACEHOLDER)) {
    const name = match[1] ?? '';
    if (!(TEMPLATE_PLACEHOLDERS as readonly string[]).includes(name)) {
      throw new PreviewNameError(`unknown placeholder {${name}}; use ${TEMPLATE_PLACEHOLDERS.map((p) => `{${p}}`).join(', ')}`);
    }
  }
  if (/[{}]/.test(template.replace(PLACEHOLDER, ''))) throw new PreviewNameError('a "{" or "}" does not pair');
}

/**
 * Makes a branch name safe and short enough for Neon: letters, digits, `.`, `_`, `-` and
 * `/` are kept (ASCII only); every other character becomes `-` (an emoji or a CJK letter
 * too, one `-` per character); runs of `-` and of `/` collapse; `-`, `.`, `/` are trimmed at
 * both ends and around each `/`; then the name is cut to `maxLength` (Neon's 256) and
 * trimmed again. Returns `''` when nothing usable is left.
 */
export function sanitizeBranchName(raw: string, maxLength = NEON_BRANCH_NAME_MAX): string {
  const clean = (s: string) =>
    s
      .replace(/[^A-Za-z0-9._/-]/gu, '-')
      .replace(/-{2,}/g, '-')
      .replace(/\.{2,}/g, '.')
      .split('/')
      .map((part) => part.replace(/^[-.]+|[-.]+$/g, ''))
      .filter((part) => part !== '')
      .join('/');
  return clean(clean(raw).slice(0, maxLength));
}

/**
 * Renders a preview branch name: placeholders are replaced by the event's values, then the
 * whole is made safe (`sanitizeBranchName`). Throws `PreviewNameError` when nothing usable
 * is left (say `{head_ref}` alone and a branch named only in emoji).
 */
export function renderPreviewName(template: string, values: TemplateValues, maxLength = NEON_BRANCH_NAME_MAX): string {
  checkNameTemplate(template);
  const raw = template.replace(PLACEHOLDER, (_m, name: string) => values[name as TemplatePlaceholder]);
  const name = sanitizeBranchName(raw, maxLength);
  if (name === '') throw new PreviewNameError(`template "${template}" gives no usable branch name for this pull request`);
  return name;
}
