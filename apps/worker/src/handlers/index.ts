import type { HandlerMap } from '../engine/run-intent.js';
import { apiKeyCreate, apiKeyRevoke } from './api-key.js';
import { branchCreate, branchDelete, branchRestore, branchUpdate } from './branch.js';
import { databaseCreate, databaseDelete, databaseUpdate } from './database.js';
import { endpointCreate, endpointDelete, endpointRestart, endpointStart, endpointSuspend, endpointUpdate } from './endpoint.js';
import { previewEnsure, previewTeardown } from './preview.js';
import { projectCreate, projectDelete, projectUpdate } from './project.js';
import { roleCreate, roleDelete, roleResetPassword } from './role.js';

/** One handler per intent kind; the mapped type makes a missing kind a compile error. */
export const handlers: HandlerMap = {
  'project.create': projectCreate,
  'project.update': projectUpdate,
  'project.delete': projectDelete,
  'branch.create': branchCreate,
  'branch.update': branchUpdate,
  'branch.delete': branchDelete,
  'branch.restore': branchRestore,
  'preview.ensure': previewEnsure,
  'preview.teardown': previewTeardown,
  'endpoint.create': endpointCreate,
  'endpoint.update': endpointUpdate,
  'endpoint.delete': endpointDelete,
  'endpoint.start': endpointStart,
  'endpoint.suspend': endpointSuspend,
  'endpoint.restart': endpointRestart,
  'database.create': databaseCreate,
  'database.update': databaseUpdate,
  'database.delete': databaseDelete,
  'role.create': roleCreate,
  'role.delete': roleDelete,
  'role.reset_password': roleResetPassword,
  'api_key.create': apiKeyCreate,
  'api_key.revoke': apiKeyRevoke,
};
