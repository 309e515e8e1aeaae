import type { NeonClient, ProjectListItem } from '@neonops/neon-client';
import { INTENT_ANNOTATION } from './annotation.js';

/**
 * Finds the project an intent created: same name, and its default branch annotated with
 * the intent id (Neon projects carry no annotation themselves; `project.create` annotates
 * the default branch it asks for).
 */
export async function findProjectOfIntent(neon: NeonClient, name: string, intentId: string): Promise<ProjectListItem | undefined> {
  let cursor: string | undefined;
  for (let page = 0; page < 50; page++) {
    const res = await neon.listProjectsPage({ search: name, ...(cursor ? { cursor } : {}) });
    for (const project of res.projects.filter((p) => p.name === name)) {
      const branches = await neon.listBranchesPage(project.id, {});
      const annotations = (branches as { annotations?: Record<string, { value?: Record<string, string> }> }).annotations ?? {};
      const ours = branches.branches.some((b) => annotations[b.id]?.value?.[INTENT_ANNOTATION] === intentId);
      if (ours) return project;
    }
    cursor = res.pagination?.cursor;
    if (!cursor || res.projects.length === 0) return undefined;
  }
  return undefined;
}
