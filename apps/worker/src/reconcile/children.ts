import { NeonNotFoundError, type Database, type Endpoint, type NeonClient, type Role } from '@neonops/neon-client';

/** `undefined` instead of a 404: for looking things up before (re)creating them, and for deletes. */
export async function orUndefinedOn404<T>(call: Promise<T>): Promise<T | undefined> {
  try {
    return await call;
  } catch (err) {
    if (err instanceof NeonNotFoundError) return undefined;
    throw err;
  }
}

/** A database of a branch by name, if it exists. */
export async function findDatabase(neon: NeonClient, projectId: string, branchId: string, name: string): Promise<Database | undefined> {
  const res = await orUndefinedOn404(neon.getDatabase(projectId, branchId, name));
  return res?.database;
}

/** A role of a branch by name, if it exists. */
export async function findRole(neon: NeonClient, projectId: string, branchId: string, name: string): Promise<Role | undefined> {
  const res = await orUndefinedOn404(neon.getRole(projectId, branchId, name));
  return res?.role;
}

/**
 * Endpoints of a branch of one type, optionally only those created at or after `since`
 * (an ISO time, minus a little clock skew): the candidates an interrupted create may have made.
 */
export async function findEndpoints(
  neon: NeonClient,
  projectId: string,
  branchId: string,
  type: string,
  since?: string,
): Promise<Endpoint[]> {
  const res = await neon.listBranchEndpoints(projectId, branchId);
  const floor = since ? Date.parse(since) - 60_000 : Number.NEGATIVE_INFINITY;
  return res.endpoints.filter((e) => String(e.type) === type && Date.parse(e.created_at) >= floor);
}
