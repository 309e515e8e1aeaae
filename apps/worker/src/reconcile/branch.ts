import type { Branch, NeonClient } from '@neonops/neon-client';
import { INTENT_ANNOTATION } from './annotation.js';

export interface FoundBranch {
  branch: Branch;
  /** The intent id in the branch's annotation, if any. */
  annotatedIntent: string | undefined;
  /** The branch's whole annotation (ours: the intent id, and a preview's pull request). */
  annotations: Record<string, string>;
}

/**
 * Finds a branch of `projectId` by exact name, with the intent id from its annotation.
 * Uses Neon's `search` and walks the pages (list responses carry an `annotations` map by
 * branch id, which the single-branch GET does not).
 */
export async function findBranchByName(neon: NeonClient, projectId: string, name: string): Promise<FoundBranch | undefined> {
  let cursor: string | undefined;
  for (let page = 0; page < 50; page++) {
    const res = await neon.listBranchesPage(projectId, { search: name, ...(cursor ? { cursor } : {}) });
    const branch = res.branches.find((b) => b.name === name);
    if (branch) {
      const annotations = (res as { annotations?: Record<string, { value?: Record<string, string> }> }).annotations;
      const value = annotations?.[branch.id]?.value ?? {};
      return { branch, annotatedIntent: value[INTENT_ANNOTATION], annotations: value };
    }
    cursor = res.pagination?.next;
    if (!cursor || res.branches.length === 0) return undefined;
  }
  return undefined;
}

/** Resolves a branch name to its id (for `parent: { name }`); undefined when no branch has it. */
export async function branchIdByName(neon: NeonClient, projectId: string, name: string): Promise<string | undefined> {
  return (await findBranchByName(neon, projectId, name))?.branch.id;
}
