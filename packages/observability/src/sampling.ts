import { AlwaysOffSampler, AlwaysOnSampler, ParentBasedSampler, TraceIdRatioBasedSampler, type Sampler } from '@opentelemetry/sdk-trace-base';

/**
 * The share of new traces kept when `OTEL_TRACES_SAMPLER_ARG` is not set: one intent in ten.
 * Every request, job and Neon call of a kept trace is recorded; the others cost next to
 * nothing (no span, no context, no trace context in the job: see `bench/README.md`, "Tracing
 * on vs off"). A caller that sends a sampled `traceparent` is always followed.
 */
export const DEFAULT_SAMPLING_RATIO = 0.1;

/** The sampler when `OTEL_TRACES_SAMPLER` is not set (OpenTelemetry's name for it). */
export const DEFAULT_SAMPLER = 'parentbased_traceidratio';

const SAMPLERS = ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'] as const;

/**
 * The share of new traces kept: `OTEL_TRACES_SAMPLER_ARG`, a number in [0, 1], used by the
 * `*traceidratio` samplers; default {@link DEFAULT_SAMPLING_RATIO}. Anything else is refused at start.
 */
export function samplingRatio(env: Record<string, string | undefined>): number {
  const raw = env.OTEL_TRACES_SAMPLER_ARG?.trim();
  if (!raw) return DEFAULT_SAMPLING_RATIO;
  const ratio = Number(raw);
  if (!Number.isFinite(ratio) || ratio < 0 || ratio > 1) throw new Error(`OTEL_TRACES_SAMPLER_ARG must be a number from 0 to 1, not ${JSON.stringify(raw)}`);
  return ratio;
}

/**
 * The sampler named by `OTEL_TRACES_SAMPLER` (OpenTelemetry's names: `always_on`,
 * `always_off`, `traceidratio`, `parentbased_always_on`, `parentbased_always_off`,
 * `parentbased_traceidratio`), default {@link DEFAULT_SAMPLER} at {@link samplingRatio}.
 * An unknown name is refused at start rather than silently tracing everything or nothing.
 */
export function samplerFromEnv(env: Record<string, string | undefined>): Sampler {
  const name = env.OTEL_TRACES_SAMPLER?.trim().toLowerCase() || DEFAULT_SAMPLER;
  if (!(SAMPLERS as readonly string[]).includes(name)) throw new Error(`OTEL_TRACES_SAMPLER must be one of ${SAMPLERS.join(', ')}, not ${JSON.stringify(name)}`);
  const ratio = samplingRatio(env);
  const root = name.endsWith('always_on') ? new AlwaysOnSampler() : name.endsWith('always_off') ? new AlwaysOffSampler() : new TraceIdRatioBasedSampler(ratio);
  return name.startsWith('parentbased_') ? new ParentBasedSampler({ root }) : root;
}
