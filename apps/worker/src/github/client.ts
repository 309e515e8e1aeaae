import { z } from 'zod';

/** A GitHub API call failed. The message names the method, route and status; never the token. */
export class GitHubApiError extends Error {
  readonly code = 'github_api_error';
  constructor(
    readonly method: string,
    readonly route: string,
    /** HTTP status; undefined when no answer came (network error, timeout). */
    readonly status: number | undefined,
    /** GitHub's `x-github-request-id`, for support. */
    readonly requestId?: string,
    options?: { cause?: unknown },
  ) {
    super(`GitHub ${method} ${route} ${status === undefined ? 'got no answer' : `answered ${status}`}`, options);
    this.name = 'GitHubApiError';
  }

  /** 408, 429, 5xx and no answer may succeed later; anything else (401, 403, 404, 422) will not. */
  get retryable(): boolean {
    return this.status === undefined || this.status === 408 || this.status === 429 || this.status >= 500;
  }
}

export interface GitHubClientOptions {
  /** API base, e.g. `https://api.github.com` or GitHub Enterprise's `https://ghe.example.com/api/v3`. */
  baseUrl: string;
  /** The source's token (sent as `Authorization: Bearer`; never logged). */
  token: string;
  /** Per-request timeout in ms. Default 10000. */
  timeoutMs?: number;
  /** Default global `fetch`. */
  fetch?: typeof fetch;
}

const commentSchema = z.looseObject({ id: z.number(), body: z.string().nullish() });
const pullSchema = z.looseObject({ state: z.enum(['open', 'closed']), merged: z.boolean().nullish(), updated_at: z.string() });
export type GitHubPull = z.infer<typeof pullSchema>;

/** `owner/name` split for URLs (each part URL-encoded). */
function repoPath(repository: string): string {
  const [owner = '', name = ''] = repository.split('/');
  return `/repos/${encodeURIComponent(owner)}/${encodeURIComponent(name)}`;
}

/** The few GitHub REST calls post-back and the sweep make, on plain fetch. */
export class GitHubClient {
  private readonly fetch: typeof fetch;
  private readonly base: string;

  constructor(private readonly options: GitHubClientOptions) {
    this.fetch = options.fetch ?? globalThis.fetch;
    this.base = options.baseUrl.replace(/\/+$/, '');
  }

  /** `POST /repos/{owner}/{repo}/statuses/{sha}`: GitHub keeps the latest status per context, so posting again replaces it. */
  async createStatus(repository: string, sha: string, status: { state: 'pending' | 'success' | 'failure' | 'error'; context: string; description: string; target_url?: string }): Promise<void> {
    await this.call('POST', `${repoPath(repository)}/statuses/${encodeURIComponent(sha)}`, status);
  }

  /** The first comment of the issue/PR whose body contains `marker` (pages of 100, at most `maxPages`). */
  async findComment(repository: string, number: number, marker: string, maxPages = 30): Promise<number | undefined> {
    for (let page = 1; page <= maxPages; page++) {
      const items = z.array(commentSchema).parse(await this.call('GET', `${repoPath(repository)}/issues/${number}/comments?per_page=100&page=${page}`));
      const ours = items.find((c) => c.body?.includes(marker));
      if (ours) return ours.id;
      if (items.length < 100) return undefined;
    }
    return undefined;
  }

  async createComment(repository: string, number: number, body: string): Promise<number> {
    return commentSchema.parse(await this.call('POST', `${repoPath(repository)}/issues/${number}/comments`, { body })).id;
  }

  async updateComment(repository: string, commentId: number, body: string): Promise<void> {
    await this.call('PATCH', `${repoPath(repository)}/issues/comments/${commentId}`, { body });
  }

  /**
   * A pull request by the repository's numeric id (`GET /repositories/{id}/pulls/{n}`, the
   * id form of `GET /repos/{owner}/{repo}/pulls/{n}`: it survives renames and transfers);
   * undefined when GitHub says 404 (gone, or not visible to the token).
   */
  async getPull(repositoryId: number, number: number): Promise<GitHubPull | undefined> {
    try {
      return pullSchema.parse(await this.call('GET', `/repositories/${repositoryId}/pulls/${number}`));
    } catch (error) {
      if (error instanceof GitHubApiError && error.status === 404) return undefined;
      throw error;
    }
  }

  private async call(method: string, path: string, body?: unknown): Promise<unknown> {
    const route = path.replace(/\?.*$/, '');
    let res: Response;
    try {
      res = await this.fetch(`${this.base}${path}`, {
        method,
        headers: {
          accept: 'application/vnd.github+json',
          authorization: `Bearer ${this.options.token}`,
          'x-github-api-version': '2022-11-28',
          'user-agent': 'neonops-preview',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
      });
    } catch (error) {
      // The cause is a network error (no request headers in it).
      throw new GitHubApiError(method, route, undefined, undefined, { cause: error instanceof Error ? new Error(error.message) : undefined });
    }
    const requestId = res.headers.get('x-github-request-id') ?? undefined;
    if (!res.ok) {
      await res.body?.cancel().catch(() => undefined);
      throw new GitHubApiError(method, route, res.status, requestId);
    }
    const text = await res.text();
    return text === '' ? undefined : (JSON.parse(text) as unknown);
  }
}
