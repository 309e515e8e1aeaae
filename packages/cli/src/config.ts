import { z } from 'zod';
import { UsageError } from './exit-codes.js';

/**
 * The environment the CLI reads, parsed once by `loadConfig` (flags override it). Nothing
 * else reads the environment.
 */
export const envSchema = z.object({
  /** The API's base URL, e.g. `https://neonops.example.com`. `--url` overrides it. */
  NEONOPS_URL: z.string().optional(),
  /** The team's bearer token (`nop_…`). `--token` overrides it. Never printed. */
  NEONOPS_TOKEN: z.string().optional(),
  /** The file GitHub Actions reads step outputs from; needed by `--output github`. */
  GITHUB_OUTPUT: z.string().optional(),
});
export type CliEnv = z.infer<typeof envSchema>;

export interface CliConfig {
  url: string;
  token: string;
  githubOutput: string | undefined;
}

export interface ConfigFlags {
  url?: string | undefined;
  token?: string | undefined;
}

const blank = (v: string | undefined): string | undefined => (v === undefined || v.trim() === '' ? undefined : v.trim());

/** The API URL and token from flags, else `NEONOPS_URL` / `NEONOPS_TOKEN`; a UsageError (exit 2) names what is missing. */
export function loadConfig(env: Record<string, string | undefined>, flags: ConfigFlags, command: string): CliConfig {
  const parsed = envSchema.parse(env);
  const url = blank(flags.url) ?? blank(parsed.NEONOPS_URL);
  const token = blank(flags.token) ?? blank(parsed.NEONOPS_TOKEN);
  if (!url) throw new UsageError('no API URL: set NEONOPS_URL or pass --url', command);
  let parsedUrl: URL;
  try {
    parsedUrl = new URL(url);
  } catch {
    throw new UsageError(`the API URL is not a URL: ${url}`, command);
  }
  if (parsedUrl.protocol !== 'http:' && parsedUrl.protocol !== 'https:') throw new UsageError(`the API URL must be http(s): ${parsedUrl.origin}`, command);
  if (parsedUrl.username || parsedUrl.password) throw new UsageError('the API URL must not hold credentials; pass the token with NEONOPS_TOKEN', command);
  if (!token) throw new UsageError('no token: set NEONOPS_TOKEN or pass --token', command);
  // A header value cannot hold control characters; say so without echoing the token.
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\s]/.test(token)) throw new UsageError('the token holds whitespace or control characters', command);
  return { url: parsedUrl.href.replace(/\/+$/, ''), token, githubOutput: blank(parsed.GITHUB_OUTPUT) };
}
