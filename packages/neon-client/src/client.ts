/** `createNeonClient`: the request core plus every endpoint method and the operation helpers. */
import type { NeonClientOptions } from './core/options.js';
import { createRequestCore } from './core/request.js';
import { createTypedCall } from './core/typed.js';
import { apiKeyMethods } from './methods/api-keys.js';
import { branchMethods } from './methods/branches.js';
import { consumptionMethods } from './methods/consumption.js';
import { databaseMethods } from './methods/databases.js';
import { endpointMethods } from './methods/endpoints.js';
import { operationMethods } from './methods/operations.js';
import { projectMethods } from './methods/projects.js';
import { roleMethods } from './methods/roles.js';
import { operationHelpers } from './operations.js';

/**
 * Creates a Neon API v2 client. The API key stays in a closure: it is not a
 * property of the client, so logging or inspecting the client cannot leak it.
 */
export function createNeonClient(options: NeonClientOptions) {
  const core = createRequestCore(options);
  const call = createTypedCall(core);
  const operations = operationMethods(call);
  return {
    ...apiKeyMethods(call),
    ...operations,
    ...projectMethods(call),
    ...branchMethods(call),
    ...databaseMethods(call),
    ...roleMethods(call),
    ...endpointMethods(call),
    ...consumptionMethods(call),
    ...operationHelpers({ getOperation: operations.getOperation, sleep: core.sleep, now: core.now }),
    /** Low-level escape hatch: a typed call of any documented route through the same request core. */
    call,
  };
}

export type NeonClient = ReturnType<typeof createNeonClient>;
