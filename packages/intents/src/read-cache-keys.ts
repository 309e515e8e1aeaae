/**
 * The API's short cache of read-through answers (`GET /v1/projects…`) lives in one Redis hash
 * per project (`<prefix>readcache:{<projectId>}`; `{_}` for the answers about no one project,
 * e.g. the list of projects): field `<teamId>:<sha-256 of the URL>`, value `<cached at ms>\n<body>`.
 * One key per project is what lets a worker forget every cached answer about a project in one
 * command when an intent changed it, so a client that saw its intent succeed reads the change.
 */
export function readCacheKey(prefix: string, projectId?: string): string {
  return `${prefix}readcache:{${projectId ?? '_'}}`;
}

/** The commands {@link forgetCachedReads} needs (an ioredis client has them). */
export interface ReadCacheRedis {
  del(key: string): Promise<number>;
}

/**
 * Forgets the cached read-through answers about a project (and the project list, which shows
 * it), after an intent changed it. Two commands, not one `DEL` of two keys: the keys may live
 * in different Redis Cluster slots.
 */
export async function forgetCachedReads(redis: ReadCacheRedis, prefix: string, projectId: string | undefined): Promise<void> {
  await Promise.all([redis.del(readCacheKey(prefix)), ...(projectId === undefined ? [] : [redis.del(readCacheKey(prefix, projectId))])]);
}
