import type { NeonClient, Operation } from '@neonops/neon-client';

/**
 * Reads the current state of `operationIds` with as few calls as possible: one GET for a
 * single operation; otherwise one page of the project's recent operations (newest first),
 * with a GET for any that page does not hold.
 */
export async function pollOperations(neon: NeonClient, projectId: string, operationIds: readonly string[]): Promise<Operation[]> {
  if (operationIds.length === 0) return [];
  if (operationIds.length === 1) return [(await neon.getOperation(projectId, operationIds[0] as string)).operation];
  const page = await neon.listOperationsPage(projectId, { limit: 100 });
  const byId = new Map(page.operations.map((op) => [op.id, op]));
  return Promise.all(operationIds.map(async (id) => byId.get(id) ?? (await neon.getOperation(projectId, id)).operation));
}
