import { z } from 'zod';

/** Svix's schedule: immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h. */
export const DEFAULT_RETRY_SCHEDULE_MS = [0, 5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000] as const;

const commaList = z.string().transform((s) =>
  s
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== ''),
);

/**
 * The webhook settings, as environment variables. The API and the worker spread this shape
 * into their own config schemas, so both read the same names with the same defaults.
 */
export const webhookEnvShape = {
  /** Per-attempt timeout in ms: a 2xx must arrive within it. Default `15000`. */
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().positive().default(15_000),
  /** Delay before each attempt in ms, comma-separated; its length is the number of attempts. Default Svix's `0,5000,300000,1800000,7200000,18000000,36000000,36000000`. */
  WEBHOOK_RETRY_SCHEDULE: commaList
    .pipe(z.array(z.string().regex(/^\d+$/, 'each delay is a whole number of ms').transform(Number)).min(1, 'needs at least one delay'))
    .default([...DEFAULT_RETRY_SCHEDULE_MS]),
  /** Host names allowed even when they resolve to a private, loopback or link-local address (comma-separated). Default none. */
  WEBHOOK_ALLOW_HOSTS: commaList.default([]),
  /** Address ranges (CIDR, IPv4 or IPv6) allowed even though private, loopback or link-local (comma-separated). Default none. The metadata address is refused anyway. */
  WEBHOOK_ALLOW_CIDRS: commaList.default([]),
  /** How long, in seconds, the previous secret keeps signing after a rotation. Default `86400` (24 h). */
  WEBHOOK_SECRET_OVERLAP_SECONDS: z.coerce.number().int().min(0).default(86_400),
  /** A subscription whose attempts have failed without a success for this long is disabled. Default `432000` (5 days). */
  WEBHOOK_DISABLE_AFTER_SECONDS: z.coerce.number().int().positive().default(5 * 86_400),
  /** Deliveries one dispatcher process sends at once. Default `50`. */
  WEBHOOK_CONCURRENCY: z.coerce.number().int().positive().default(50),
};

const webhookEnvSchema = z.object(webhookEnvShape);
export type WebhookEnv = z.infer<typeof webhookEnvSchema>;

/** Webhook settings in the shape the code uses. */
export interface WebhookSettings {
  timeoutMs: number;
  retryScheduleMs: number[];
  allowHosts: string[];
  allowCidrs: string[];
  secretOverlapSeconds: number;
  disableAfterSeconds: number;
  concurrency: number;
}

/** Maps the parsed variables to {@link WebhookSettings}. */
export function webhookSettingsFromEnv(env: WebhookEnv): WebhookSettings {
  return {
    timeoutMs: env.WEBHOOK_TIMEOUT_MS,
    retryScheduleMs: env.WEBHOOK_RETRY_SCHEDULE,
    allowHosts: env.WEBHOOK_ALLOW_HOSTS,
    allowCidrs: env.WEBHOOK_ALLOW_CIDRS,
    secretOverlapSeconds: env.WEBHOOK_SECRET_OVERLAP_SECONDS,
    disableAfterSeconds: env.WEBHOOK_DISABLE_AFTER_SECONDS,
    concurrency: env.WEBHOOK_CONCURRENCY,
  };
}

/** The defaults, for code that builds settings without an environment (tests, the app). */
export const DEFAULT_WEBHOOK_SETTINGS: WebhookSettings = webhookSettingsFromEnv(webhookEnvSchema.parse({}));
