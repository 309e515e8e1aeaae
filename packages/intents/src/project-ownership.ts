import { taggedPrefix } from './keyspace.js';
import type { Redis } from 'ioredis';

/**
 * Which team owns the Neon projects that intents created. Projects listed in the teams
 * file belong to their team by configuration; a project made by a team's `project.create`
 * intent is recorded here by the worker when the create succeeds, and the API then lets
 * that team (and no other) use it. Keys (one slot, `{ownership}`, so they change together): `${prefix}{ownership}:project:${projectId}:owner` (team id)
 * and `${prefix}{ownership}:team:${teamId}:projects` (set of project ids). No TTL: ownership lasts as
 * long as the project; `release` on `project.delete`.
 */
export class ProjectOwnership {
  constructor(
    private readonly redis: Redis,
    private readonly options: { prefix: string },
  ) {}

  private ownerKey(projectId: string) {
    return `${taggedPrefix(this.options.prefix, 'ownership')}project:${projectId}:owner`;
  }
  private teamKey(teamId: string) {
    return `${taggedPrefix(this.options.prefix, 'ownership')}team:${teamId}:projects`;
  }

  /**
   * Records `teamId` as the owner of `projectId`. Idempotent for the same team; returns
   * false (and changes nothing) when another team already owns the project.
   */
  async record(teamId: string, projectId: string): Promise<boolean> {
    const set = await this.redis.set(this.ownerKey(projectId), teamId, 'NX');
    if (set !== 'OK' && (await this.redis.get(this.ownerKey(projectId))) !== teamId) return false;
    await this.redis.sadd(this.teamKey(teamId), projectId);
    return true;
  }

  /** The owning team recorded for a project, if any. */
  async ownerOf(projectId: string): Promise<string | undefined> {
    return (await this.redis.get(this.ownerKey(projectId))) ?? undefined;
  }

  /** Project ids the team's intents created (not those from the teams file). */
  async projectsOf(teamId: string): Promise<string[]> {
    return (await this.redis.smembers(this.teamKey(teamId))).sort();
  }

  /** Forgets the ownership (after the project was deleted). */
  async release(projectId: string): Promise<void> {
    const owner = await this.ownerOf(projectId);
    const multi = this.redis.multi().del(this.ownerKey(projectId));
    if (owner !== undefined) multi.srem(this.teamKey(owner), projectId);
    await multi.exec();
  }
}
