import type { CreatedResource } from '@neonops/intents';

/** The resources an intent created (checkpoint `resources`): listed once each, whatever step lists them again. */

const identity = (r: CreatedResource): string => {
  switch (r.type) {
    case 'project':
      return `project:${r.projectId}`;
    case 'branch':
      return `branch:${r.projectId}:${r.branchId}`;
    case 'endpoint':
      return `endpoint:${r.projectId}:${r.endpointId}`;
    case 'database':
    case 'role':
      return `${r.type}:${r.projectId}:${r.branchId}:${r.name}`;
    case 'api_key':
      return `api_key:${r.keyId}`;
  }
};

/** Adds `resource` to `list` unless it is listed already (a resumed step finds and lists its resource again). */
export function addResource(list: CreatedResource[], resource: CreatedResource): void {
  const key = identity(resource);
  if (!list.some((r) => identity(r) === key)) list.push(resource);
}
