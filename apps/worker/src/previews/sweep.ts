import {
  intentCatalog,
  intentJobId,
  intentJobOptions,
  queuedIntentRecord,
  scanKeys,
  sourcesPrefix,
  type GithubSourceRecord,
  type IntentJobData,
  type IntentStore,
  type PullRequestStates,
  type SourceRecord,
  type SourceStore,
} from '@neonops/intents';
import type { Branch, NeonClient } from '@neonops/neon-client';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { GitHubApiError, GitHubClient } from '../github/client.js';
import { PREVIEW_ANNOTATION } from '../reconcile/annotation.js';

/** Why the sweep deletes a preview. */
export type SweepReason = 'github_closed' | 'expired' | 'state_closed';

export interface SweptPreview {
  sourceId: string;
  teamId: string;
  projectId: string;
  branchId: string;
  branchName: string;
  repositoryId: number;
  number: number;
  reason: SweepReason;
  /** The teardown intent (absent in a dry run); `duplicate` when an earlier sweep already made it. */
  intentId?: string;
  duplicate?: boolean;
}

export interface PreviewSweepReport {
  dryRun: boolean;
  sources: number;
  /** Preview branches looked at (annotated for a pull request of a source). */
  previews: number;
  /** The previews to delete (a dry run) or deleted by a teardown intent. */
  swept: SweptPreview[];
  /** Sources or pull requests that could not be checked this time (GitHub or Neon failing), without secrets. */
  errors: Array<{ sourceId: string; message: string }>;
}

export interface PreviewSweepDeps {
  redis: Redis;
  keyPrefix: string;
  store: IntentStore;
  sources: SourceStore;
  pullRequests: PullRequestStates;
  neon: NeonClient;
  queue: Queue<IntentJobData>;
  /** GitHub's API base. */
  apiUrl: string;
  logger: Logger;
  /** Only report. */
  dryRun: boolean;
  /** Clock. Default `Date.now`. */
  now?: () => number;
  fetch?: typeof fetch;
  /** How long a sweep's teardown dedupe key is kept, in ms. Default 30 days (longer than any preview's life). */
  dedupeTtlMs?: number;
  /**
   * A PR recorded `closed` less than this long ago (ms) is left to its own teardown, which may
   * still be queued or running. Default 1 hour.
   */
  closedGraceMs?: number;
}

/** `<sourceId>:<repositoryId>#<number>` (see `previewMark`). */
const markPattern = /^(.+):(\d+)#(\d+)$/;

/** Every source of the deployment: `SCAN` over `<prefix>{sources}:source:*` on every master (sources are bounded per team; this runs rarely). */
async function allSources(redis: Redis, prefix: string, sources: SourceStore): Promise<SourceRecord[]> {
  const ids = new Set<string>();
  const head = `${sourcesPrefix(prefix)}source:`;
  for await (const keys of scanKeys(redis, `${head}*`, 1000)) for (const key of keys) ids.add(key.slice(head.length));
  const records = await Promise.all([...ids].sort().map((id) => sources.get(id)));
  return records.filter((r): r is SourceRecord => r !== undefined);
}

/** The project's branches with their annotations (list pages carry them by branch id). */
async function* annotatedBranches(neon: NeonClient, projectId: string): AsyncGenerator<{ branch: Branch; annotations: Record<string, string> }> {
  let cursor: string | undefined;
  for (let page = 0; page < 200; page++) {
    const res = await neon.listBranchesPage(projectId, cursor ? { cursor } : {});
    const annotations = (res as { annotations?: Record<string, { value?: Record<string, string> }> }).annotations ?? {};
    for (const branch of res.branches) yield { branch, annotations: annotations[branch.id]?.value ?? {} };
    cursor = res.pagination?.next;
    if (!cursor || res.branches.length === 0) return;
  }
}

/**
 * The sweep of previews whose `closed` event was missed. For each GitHub source, each branch
 * of its project annotated as one of its previews is deleted when its pull request is closed
 * — asked of GitHub when the source has a token, else when the branch is past its
 * `expires_at` (Neon deletes those itself; this catches the ones still there) — or when the
 * PR's recorded state is already `closed` (a teardown that never ran). A deletion is an
 * ordinary `preview.teardown` intent with a dedupe key per branch, so it is made once however
 * often the sweep runs; the PR's state is first advanced to `closed` so the teardown does
 * not skip it as open. A dry run only reports.
 */
export async function sweepPreviews(deps: PreviewSweepDeps): Promise<PreviewSweepReport> {
  const now = deps.now ?? Date.now;
  const report: PreviewSweepReport = { dryRun: deps.dryRun, sources: 0, previews: 0, swept: [], errors: [] };
  const sources = (await allSources(deps.redis, deps.keyPrefix, deps.sources)).filter((s): s is GithubSourceRecord => s.kind === 'github');
  report.sources = sources.length;
  for (const source of sources) {
    try {
      const token = deps.sources.githubTokenOf(source);
      const github = token ? new GitHubClient({ baseUrl: deps.apiUrl, token, ...(deps.fetch ? { fetch: deps.fetch } : {}) }) : undefined;
      for await (const { branch, annotations } of annotatedBranches(deps.neon, source.projectId)) {
        const match = markPattern.exec(annotations[PREVIEW_ANNOTATION] ?? '');
        if (!match || match[1] !== source.id) continue;
        report.previews++;
        const ref = { sourceId: source.id, repositoryId: Number(match[2]), number: Number(match[3]) };
        const known = await deps.pullRequests.get(ref);
        let reason: SweepReason | undefined;
        let closedAt = now();
        if (known?.state === 'closed') {
          if (now() - known.updatedAt < (deps.closedGraceMs ?? 3_600_000)) continue;
          reason = 'state_closed';
          closedAt = known.updatedAt;
        } else if (github) {
          try {
            const pull = await github.getPull(ref.repositoryId, ref.number);
            if (pull?.state === 'closed') {
              reason = 'github_closed';
              closedAt = Date.parse(pull.updated_at);
            }
          } catch (error) {
            report.errors.push({ sourceId: source.id, message: error instanceof GitHubApiError ? error.message : 'GitHub could not be asked' });
            continue;
          }
        } else if (branch.expires_at && Date.parse(branch.expires_at) <= now()) reason = 'expired';
        if (!reason) continue;
        const swept: SweptPreview = { teamId: source.teamId, projectId: source.projectId, branchId: branch.id, branchName: branch.name, ...ref, reason };
        if (!deps.dryRun) Object.assign(swept, await submitTeardown(deps, source, branch, ref, known?.headSha ?? '', closedAt));
        report.swept.push(swept);
      }
    } catch (error) {
      report.errors.push({ sourceId: source.id, message: error instanceof Error ? error.message : String(error) });
    }
  }
  const level = report.swept.length > 0 || report.errors.length > 0 ? 'info' : 'debug';
  deps.logger[level]({ dryRun: report.dryRun, sources: report.sources, previews: report.previews, swept: report.swept, errors: report.errors }, 'preview sweep');
  return report;
}

async function submitTeardown(
  deps: PreviewSweepDeps,
  source: GithubSourceRecord,
  branch: Branch,
  ref: { sourceId: string; repositoryId: number; number: number },
  headSha: string,
  closedAt: number,
): Promise<{ intentId: string; duplicate?: boolean }> {
  // The PR is closed as of `closedAt`: a newer event (reopened, a push) still wins.
  await deps.pullRequests.advance(ref, { state: 'closed', updatedAt: closedAt, headSha });
  const params = intentCatalog['preview.teardown'].params.parse({
    projectId: source.projectId,
    name: branch.name,
    pullRequest: { ...ref, updatedAt: new Date(closedAt).toISOString(), headSha },
  });
  const record = queuedIntentRecord({ teamId: source.teamId, kind: 'preview.teardown', params: params as Record<string, unknown>, at: new Date(deps.now?.() ?? Date.now()) });
  const outcome = await deps.store.createDeduped(
    record,
    { dedupe: { key: `preview-sweep:${source.id}:${branch.id}`, ttlMs: deps.dedupeTtlMs ?? 30 * 86_400_000 } },
  );
  if (typeof outcome === 'object') return { intentId: outcome.duplicateOf, duplicate: true };
  if (outcome !== 'created') throw new Error(`the teardown of ${branch.id} was not stored (${outcome})`);
  // Stored is accepted: if this add is lost, the intent sweeper queues it.
  await deps.queue.add('preview.teardown', { intentId: record.id, teamId: source.teamId, kind: 'preview.teardown' }, { ...intentJobOptions, jobId: intentJobId(record.id) });
  return { intentId: record.id };
}
