import { taggedPrefix } from '../keyspace.js';
import { randomBytes } from 'node:crypto';
import { RedisScript } from '../redis-script.js';
import { secretContext, type SecretBox } from '../secret-box.js';
import type { Redis } from 'ioredis';
import { fileSourceId, type CreateSourceBody, type FileSource, type SourceRecord, type SourceView } from './source-schemas.js';

/** What a source's `sealedSecret` holds. */
interface SealedSourceSecrets {
  secret: string;
  githubToken?: string;
}

const CREATE = RedisScript.load(new URL('../commands/source-create-2.lua', import.meta.url));

export interface SourceStoreOptions {
  prefix: string;
  secretBox: SecretBox;
  /** Sources one team may have. Default 100. */
  maxSourcesPerTeam?: number;
  now?: () => Date;
}


/** The prefix of every source key: `<prefix>{sources}:`. */
export const sourcesPrefix = (prefix: string): string => taggedPrefix(prefix, 'sources');

/**
 * Sources of hook deliveries, per team. Keys, in one slot (`{sources}`: a record and its team's set change together): `<prefix>{sources}:source:<id>` (the record as JSON,
 * its secret sealed with the service's SecretBox) and `<prefix>{sources}:team:<team>:sources` (a set
 * of ids). No TTL: a source lives until it is deleted; bounded by `maxSourcesPerTeam`.
 */
export class SourceStore {
  private readonly max: number;

  constructor(
    private readonly redis: Redis,
    private readonly options: SourceStoreOptions,
  ) {
    this.max = options.maxSourcesPerTeam ?? 100;
  }

  private key(id: string): string {
    return `${sourcesPrefix(this.options.prefix)}source:${id}`;
  }
  private teamKey(teamId: string): string {
    return `${sourcesPrefix(this.options.prefix)}team:${teamId}:sources`;
  }

  /** A new source with a fresh secret (GitHub: 32 random bytes as hex; Standard Webhooks: `whsec_…`); undefined at the team's cap. */
  async create(teamId: string, body: CreateSourceBody): Promise<{ source: SourceView; secret: string } | undefined> {
    const id = `src_${randomBytes(12).toString('base64url')}`;
    const bytes = randomBytes(32);
    const secret = body.kind === 'github' ? bytes.toString('hex') : `whsec_${bytes.toString('base64')}`;
    let sealed: SealedSourceSecrets = { secret };
    let normalized: Record<string, unknown>;
    if (body.kind === 'github') {
      const { githubToken, ...rest } = body;
      normalized = { ...rest, repositories: [...new Set(body.repositories.map((r) => r.toLowerCase()))], postsToGitHub: githubToken !== undefined };
      if (githubToken !== undefined) sealed = { secret, githubToken };
    } else normalized = body;
    const source = { ...normalized, id, createdAt: (this.options.now?.() ?? new Date()).toISOString() } as SourceView;
    const record: SourceRecord = { ...source, teamId, sealedSecret: this.options.secretBox.seal(sealed, secretContext.source(id)) };
    const stored = await CREATE.run(this.redis, [this.key(id), this.teamKey(teamId)], [JSON.stringify(record), id, String(this.max)]);
    return stored === 1 ? { source, secret } : undefined;
  }

  /**
   * Writes a teams-file source (id {@link fileSourceId}, `fromTeamsFile: true`) with the
   * secrets read from the environment, replacing what an earlier start wrote; not counted
   * against the team's cap (the file is the operator's). Returns its id.
   */
  async putFromFile(teamId: string, source: FileSource, secrets: { secret: string; githubToken?: string }): Promise<string> {
    const id = fileSourceId(teamId, source.id);
    const existing = await this.get(id);
    const createdAt = existing?.createdAt ?? (this.options.now?.() ?? new Date()).toISOString();
    let view: Record<string, unknown>;
    if (source.kind === 'github') {
      const { id: _key, secretEnv: _secret, githubTokenEnv: _token, ...rest } = source;
      view = { ...rest, repositories: [...new Set(rest.repositories.map((r) => r.toLowerCase()))], postsToGitHub: secrets.githubToken !== undefined };
    } else {
      const { id: _key, secretEnv: _secret, ...rest } = source;
      view = rest;
    }
    const sealed: SealedSourceSecrets = secrets.githubToken === undefined ? { secret: secrets.secret } : { secret: secrets.secret, githubToken: secrets.githubToken };
    const record = { ...view, id, createdAt, fromTeamsFile: true, teamId, sealedSecret: this.options.secretBox.seal(sealed, secretContext.source(id)) } as SourceRecord;
    await this.redis.multi().set(this.key(id), JSON.stringify(record)).sadd(this.teamKey(teamId), id).exec();
    return id;
  }

  /** Deletes the team's teams-file sources whose ids are not in `keep` (removed from the file); returns their ids. */
  async pruneFromFile(teamId: string, keep: ReadonlySet<string>): Promise<string[]> {
    const gone = (await this.list(teamId)).filter((r) => r.fromTeamsFile && !keep.has(r.id)).map((r) => r.id);
    for (const id of gone) await this.redis.multi().del(this.key(id)).srem(this.teamKey(teamId), id).exec();
    return gone;
  }

  /** Any team's source (for hook deliveries, which carry no team token). */
  async get(id: string): Promise<SourceRecord | undefined> {
    const raw = await this.redis.get(this.key(id));
    return raw === null ? undefined : (JSON.parse(raw) as SourceRecord);
  }

  /** The team's source, or undefined (also for another team's). */
  async getForTeam(teamId: string, id: string): Promise<SourceRecord | undefined> {
    const record = await this.get(id);
    return record?.teamId === teamId ? record : undefined;
  }

  async list(teamId: string): Promise<SourceRecord[]> {
    const ids = (await this.redis.smembers(this.teamKey(teamId))).sort();
    const records = await Promise.all(ids.map((id) => this.get(id)));
    return records.filter((r): r is SourceRecord => r !== undefined);
  }

  /** Deletes the team's source; false when it has none of that id. */
  async delete(teamId: string, id: string): Promise<boolean> {
    if (!(await this.getForTeam(teamId, id))) return false;
    await this.redis.multi().del(this.key(id)).srem(this.teamKey(teamId), id).exec();
    return true;
  }

  /** The source's secret, opened. */
  secretOf(record: SourceRecord): string {
    return this.open(record).secret;
  }

  /** The GitHub token results are posted back with, opened; undefined when the source has none. */
  githubTokenOf(record: SourceRecord): string | undefined {
    return this.open(record).githubToken;
  }

  private open(record: SourceRecord): SealedSourceSecrets {
    return this.options.secretBox.open(record.sealedSecret, secretContext.source(record.id)) as SealedSourceSecrets;
  }
}

/** A source as the API shows it: never its secret or team. */
export function sourceView(record: SourceRecord): SourceView {
  const { teamId: _team, sealedSecret: _sealed, ...view } = record;
  return view as SourceView;
}
