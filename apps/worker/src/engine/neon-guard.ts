import type { NeonClient } from '@neonops/neon-client';

type Fn = (...args: never[]) => unknown;
type Method = { [K in keyof NeonClient]: NeonClient[K] extends Fn ? K : never }[keyof NeonClient];
type Params<K extends Method> = Required<Parameters<NeonClient[K]>>;
/** Index of a method's last parameter, where the client takes its `CallOptions` (with `signal`). */
type OptionsAt<K extends Method> =
  Params<K> extends [...infer Head, infer Last] ? ({ signal: AbortSignal } extends NonNullable<Last> ? Head['length'] : never) : never;

/**
 * Where each client method takes its call options, and whether it changes Neon. The type
 * admits only the true position, so a method added to or changed in the client does not
 * compile until it is listed here. `call` (any route) counts as a write.
 */
const METHODS: { [K in Method]: readonly [OptionsAt<K>, 'read' | 'write'] } = {
  listApiKeys: [0, 'read'],
  createApiKey: [1, 'write'],
  revokeApiKey: [1, 'write'],
  listOperationsPage: [2, 'read'],
  listOperations: [2, 'read'],
  getOperation: [2, 'read'],
  listProjectsPage: [1, 'read'],
  listProjects: [1, 'read'],
  listSharedProjectsPage: [1, 'read'],
  listSharedProjects: [1, 'read'],
  getProject: [1, 'read'],
  createProject: [1, 'write'],
  updateProject: [2, 'write'],
  deleteProject: [1, 'write'],
  getConnectionUri: [2, 'read'],
  listProjectPermissions: [1, 'read'],
  grantProjectPermission: [2, 'write'],
  revokeProjectPermission: [2, 'write'],
  listBranchesPage: [2, 'read'],
  listBranches: [2, 'read'],
  getBranch: [2, 'read'],
  createBranch: [2, 'write'],
  updateBranch: [3, 'write'],
  deleteBranch: [2, 'write'],
  listBranchEndpoints: [2, 'read'],
  restoreBranch: [3, 'write'],
  setDefaultBranch: [2, 'write'],
  listDatabases: [2, 'read'],
  getDatabase: [3, 'read'],
  createDatabase: [3, 'write'],
  updateDatabase: [4, 'write'],
  deleteDatabase: [3, 'write'],
  listRoles: [2, 'read'],
  getRole: [3, 'read'],
  createRole: [3, 'write'],
  deleteRole: [3, 'write'],
  revealRolePassword: [3, 'read'],
  resetRolePassword: [3, 'write'],
  listEndpoints: [1, 'read'],
  getEndpoint: [2, 'read'],
  createEndpoint: [2, 'write'],
  updateEndpoint: [3, 'write'],
  deleteEndpoint: [2, 'write'],
  startEndpoint: [2, 'write'],
  suspendEndpoint: [2, 'write'],
  restartEndpoint: [2, 'write'],
  getConsumptionHistoryPerProject: [1, 'read'],
  listConsumptionHistoryPerProject: [1, 'read'],
  getConsumptionHistoryPerBranch: [1, 'read'],
  listConsumptionHistoryPerBranch: [1, 'read'],
  getCurrentUser: [0, 'read'],
  checkOperations: [2, 'read'],
  waitForOperations: [2, 'read'],
  call: [3, 'write'],
};

export interface NeonGuard {
  /** Aborts every call of the guarded client: pending rate-budget waits, backoffs and requests in flight. */
  signal: AbortSignal;
  /** Awaited right before each call that changes Neon (e.g. "this run still holds the project lock"). */
  beforeWrite(): Promise<void>;
}

/**
 * The client a mutating step uses under the project lock: every call carries the lease's
 * `signal` (combined with the caller's own), no call starts once it has aborted, and each
 * write first passes `beforeWrite`. The handlers do not change: they call `ctx.neon` as usual.
 */
export function guardNeon(neon: NeonClient, guard: NeonGuard): NeonClient {
  const guarded: Record<string, unknown> = { ...neon };
  for (const [name, [at, access]] of Object.entries(METHODS) as Array<[Method, readonly [number, 'read' | 'write']]>) {
    const original = neon[name] as (...args: unknown[]) => unknown;
    const withSignal = (args: unknown[]): unknown[] => {
      const out = args.slice();
      while (out.length <= at) out.push(undefined);
      const given = out[at] as { signal?: AbortSignal } | undefined;
      out[at] = { ...given, signal: given?.signal ? AbortSignal.any([given.signal, guard.signal]) : guard.signal };
      return out;
    };
    guarded[name] =
      access === 'read'
        ? // Reads stay synchronous (the paginating ones return an iterator, not a promise).
          (...args: unknown[]) => {
            guard.signal.throwIfAborted();
            return original(...withSignal(args));
          }
        : async (...args: unknown[]) => {
            guard.signal.throwIfAborted();
            await guard.beforeWrite();
            guard.signal.throwIfAborted();
            return original(...withSignal(args));
          };
  }
  return guarded as NeonClient;
}
