import type { ConnectionUri } from '@neonops/intents';
import type { Database, Endpoint, NeonClient } from '@neonops/neon-client';

/**
 * Direct and pooled connection URIs for each database (with its owner role) through the
 * branch's read-write endpoint (else its first endpoint). Secrets: they go to the sealed
 * part of the result only.
 */
export async function connectionUrisFor(
  neon: NeonClient,
  projectId: string,
  branchId: string,
  endpoints: ReadonlyArray<Pick<Endpoint, 'id'> & { type: unknown }>,
  databases: ReadonlyArray<Pick<Database, 'name' | 'owner_name'>>,
): Promise<ConnectionUri[]> {
  const endpoint = endpoints.find((e) => String(e.type) === 'read_write') ?? endpoints[0];
  if (!endpoint) return [];
  const out: ConnectionUri[] = [];
  for (const db of databases) {
    const query = { branch_id: branchId, endpoint_id: endpoint.id, database_name: db.name, role_name: db.owner_name };
    const [direct, pooled] = await Promise.all([
      neon.getConnectionUri(projectId, { ...query, pooled: false }),
      neon.getConnectionUri(projectId, { ...query, pooled: true }),
    ]);
    out.push({ databaseName: db.name, roleName: db.owner_name, uri: direct.uri, pooledUri: pooled.uri });
  }
  return out;
}
