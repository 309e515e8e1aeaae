export { loadConfig, workerConfigSchema, ConfigError, type WorkerConfig, type WorkerEnv } from './config.js';
export { startWorker, runMain, type StartWorkerOptions, type RunningWorker } from './main.js';
export { createIntentWorker, type IntentWorker, type IntentWorkerDeps, type IntentWorkerOptions, type KeepJobs } from './worker.js';
export {
  createIntentProcessor,
  DEFAULT_ENGINE_SETTINGS,
  type EngineDeps,
  type EngineSettings,
  type HandlerMap,
  type JobOutcome,
  type WorkerHooks,
} from './engine/run-intent.js';
export { OperationTimings, type OperationTimingsOptions, type OperationTimingsSource } from './engine/operation-timings.js';
export { SharedOperationTimings, type SharedOperationTimingsOptions } from './engine/shared-operation-timings.js';
export { NEON_TYPICAL_ACTION_MS, neonPriorMs } from './engine/operation-priors.js';
export { checkpointSchema, workerJobDataSchema, type Checkpoint, type WorkerJobData } from './engine/checkpoint.js';
export type { KindHandler, Step, StepContext, StepOutcome } from './engine/types.js';
export { handlers } from './handlers/index.js';
export { RedisRateBudget, RateBudgetAbortedError, RateBudgetTimeoutError, type RedisRateBudgetOptions } from './rate-budget.js';
export { ProjectLock, type ProjectLockOptions, type LockAttempt } from './project-lock.js';
export { classify, FailureCodes, IntentFailedError, NotReadyError } from './errors.js';
export { createLogger, REDACT_PATHS } from './logger.js';
export { INTENT_ANNOTATION, deterministicName } from './reconcile/annotation.js';
export { startWorkerWebhooks, type WorkerWebhooks, type WorkerWebhooksDeps } from './webhooks/index.js';
export { startGitHubPostBack, GITHUB_OUTBOX_GROUP, type GitHubPostBack, type GitHubPostBackDeps } from './github/index.js';
export { GitHubApiError, GitHubClient, type GitHubClientOptions } from './github/client.js';
export { PreviewPostBack, STATUS_CONTEXT, marker as postBackMarker, type PostBackOutcome } from './github/post-back.js';
export { startPreviewSweep, PREVIEW_SWEEP_QUEUE, type PreviewSweepScheduler, type PreviewSweepSchedulerDeps } from './previews/sweep-scheduler.js';
export { sweepPreviews, type PreviewSweepReport, type SweptPreview } from './previews/sweep.js';
export { collectionWindow, collectUsage, servedProjects, startUsageCollector, USAGE_QUEUE, USAGE_SCHEDULER_ID, type CollectReport, type ServedProject, type UsageCollector } from './usage/index.js';
export { WorkerMetrics, combineHooks, QUEUE_STATES, type WorkerMetricSources } from './metrics/worker-metrics.js';
export { startWorkerMonitoring, type WorkerMonitoring, type WorkerMonitoringDeps } from './metrics/monitoring.js';
