/** Compute endpoints: list, get, create, update, delete, start, suspend, restart. */
import type { CallOptions } from '../core/options.js';
import type { TypedCall } from '../core/typed.js';
import type { BodyOf } from '../types.js';

const ALL = '/projects/{project_id}/endpoints' as const;
const ONE = '/projects/{project_id}/endpoints/{endpoint_id}' as const;

export function endpointMethods(call: TypedCall) {
  const one = (projectId: string, endpointId: string) => ({ project_id: projectId, endpoint_id: endpointId });
  return {
    /** `GET /projects/{project_id}/endpoints` (Python `endpoints`). */
    listEndpoints: (projectId: string, options?: CallOptions) => call('get', ALL, { path: { project_id: projectId } }, options),
    /** `GET .../endpoints/{endpoint_id}` (Python `endpoint`). */
    getEndpoint: (projectId: string, endpointId: string, options?: CallOptions) =>
      call('get', ONE, { path: one(projectId, endpointId) }, options),
    /** `POST /projects/{project_id}/endpoints` (Python `endpoint_create`). */
    createEndpoint: (projectId: string, body: BodyOf<typeof ALL, 'post'>, options?: CallOptions) =>
      call('post', ALL, { path: { project_id: projectId }, body }, options),
    /** `PATCH .../endpoints/{endpoint_id}` (Python `endpoint_update`). */
    updateEndpoint: (projectId: string, endpointId: string, body: BodyOf<typeof ONE, 'patch'>, options?: CallOptions) =>
      call('patch', ONE, { path: one(projectId, endpointId), body }, options),
    /** `DELETE .../endpoints/{endpoint_id}`; `undefined` on 204 (Python `endpoint_delete`). */
    deleteEndpoint: (projectId: string, endpointId: string, options?: CallOptions) =>
      call('delete', ONE, { path: one(projectId, endpointId) }, options),
    /** `POST .../endpoints/{endpoint_id}/start` (Python `endpoint_start`). */
    startEndpoint: (projectId: string, endpointId: string, options?: CallOptions) =>
      call('post', `${ONE}/start`, { path: one(projectId, endpointId) }, options),
    /** `POST .../endpoints/{endpoint_id}/suspend` (Python `endpoint_suspend`). */
    suspendEndpoint: (projectId: string, endpointId: string, options?: CallOptions) =>
      call('post', `${ONE}/suspend`, { path: one(projectId, endpointId) }, options),
    /** `POST .../endpoints/{endpoint_id}/restart` (Python `endpoint_restart`). */
    restartEndpoint: (projectId: string, endpointId: string, options?: CallOptions) =>
      call('post', `${ONE}/restart`, { path: one(projectId, endpointId) }, options),
  };
}
