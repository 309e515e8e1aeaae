import { NeonNotFoundError, type Database, type NeonClient, type Role } from '@neonops/neon-client';

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
