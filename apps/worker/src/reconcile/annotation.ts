/** The annotation key under which a branch records the intent that created it. */
export const INTENT_ANNOTATION = 'neonops-intent';

/** `annotation_value` for a create made by `intentId`. */
export const intentAnnotation = (intentId: string): Record<string, string> => ({ [INTENT_ANNOTATION]: intentId });

/**
 * The deterministic name of a resource an intent creates when the caller gave none, so that
 * a retried create can find it: `intent-` + the random tail of the intent id.
 */
export const deterministicName = (intentId: string): string => `intent-${intentId.slice(-16)}`;

/** The annotation key under which a preview branch names its pull request (see `previewMark`). */
export const PREVIEW_ANNOTATION = 'neonops-preview';

/** The value of `PREVIEW_ANNOTATION` for a pull request: `<sourceId>:<repositoryId>#<number>`. */
export const previewMark = (pr: { sourceId: string; repositoryId: number; number: number }): string => `${pr.sourceId}:${pr.repositoryId}#${pr.number}`;
