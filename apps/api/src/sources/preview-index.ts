import type { Redis } from 'ioredis';

/** The latest intent of a team's pull-request preview, as the hook intake recorded it. */
export interface PreviewEntry {
  /** `owner/name`, lower case. */
  repo: string;
  pr: number;
  /** What the newest accepted event asked for: `open` (ensure) or `closed` (teardown). */
  state: 'open' | 'closed';
  /** The intent that carries it out. */
  intentId: string;
  sourceId: string;
  /** When the event was accepted (ISO 8601). */
  at: string;
}

export interface PreviewIndexOptions {
  prefix: string;
  /** How long an entry is kept after the PR's last accepted event, in s. Default 30 days (as the PR states). */
  ttlSeconds?: number;
}

/**
 * Where to find a team's preview without knowing its intent (`GET /v1/previews?repo=&pr=`):
 * one small hash per team × repository × PR, `<prefix>preview:latest:<team>:<owner/name>:<pr>`,
 * written after each accepted event's intent was stored, with a TTL refreshed by each event.
 * If the API dies between the intent and this write, the entry still names the PR's previous
 * intent until the next event (the intent itself is in `GET /v1/intents`).
 */
export class PreviewIndex {
  private readonly ttlSeconds: number;

  constructor(
    private readonly redis: Redis,
    private readonly options: PreviewIndexOptions,
  ) {
    this.ttlSeconds = options.ttlSeconds ?? 30 * 86_400;
  }

  private key(teamId: string, repo: string, pr: number): string {
    return `${this.options.prefix}preview:latest:${teamId}:${repo.toLowerCase()}:${pr}`;
  }

  async record(teamId: string, entry: PreviewEntry): Promise<void> {
    const key = this.key(teamId, entry.repo, entry.pr);
    await this.redis
      .multi()
      .hset(key, { repo: entry.repo.toLowerCase(), pr: String(entry.pr), state: entry.state, intentId: entry.intentId, sourceId: entry.sourceId, at: entry.at })
      .expire(key, this.ttlSeconds)
      .exec();
  }

  async get(teamId: string, repo: string, pr: number): Promise<PreviewEntry | undefined> {
    const hash = await this.redis.hgetall(this.key(teamId, repo, pr));
    if (!hash.intentId || (hash.state !== 'open' && hash.state !== 'closed')) return undefined;
    return { repo: hash.repo ?? repo.toLowerCase(), pr, state: hash.state, intentId: hash.intentId, sourceId: hash.sourceId ?? '', at: hash.at ?? '' };
  }
}
