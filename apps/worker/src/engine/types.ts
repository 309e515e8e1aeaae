import type { CreatedResource, IntentKind, ParamsOf, ProjectOwnership, PullRequestStates, ResultOf, SecretsOf } from '@neonops/intents';
import type { NeonClient, Operation } from '@neonops/neon-client';
import type { Logger } from 'pino';

/** JSON values a checkpoint may hold: resource ids and names, never secrets. */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json | undefined };
export type JsonState = { [key: string]: Json | undefined };

/** What a step (and the result builder) can use. */
export interface StepContext<K extends IntentKind, S extends JsonState> {
  intentId: string;
  teamId: string;
  kind: K;
  params: ParamsOf<K>;
  /** The kind's checkpointed state (resource ids etc.); steps change it in place. Never put secrets here. */
  state: S;
  neon: NeonClient;
  /**
   * True when an earlier attempt of this step may already have sent its mutation (a crash
   * after the POST, or a response that was lost): look the resource up before creating it.
   */
  resumed: boolean;
  /** When this step's mutation was first started (ISO), for reconciling by creation time. */
  mutationStartedAt: string | undefined;
  /**
   * Records "mutation started" in the checkpoint; must be awaited right before a create
   * POST so that a crash in between leaves a trace that forces reconciliation.
   */
  beginMutation(): Promise<void>;
  /** Seals secrets into the intent store at once (for secrets Neon shows only once, such as a new API key). */
  storeSecrets(secrets: SecretsOf<K>): Promise<void>;
  /**
   * Lists a resource this intent created (or found as its own after a lost answer) in the
   * intent's `resources`, to be called as soon as the step learns its id. It is saved with
   * the checkpoint and the (fenced) record write that follow the step — also when the step
   * then fails — and deleted by the undo if the intent fails or is cancelled (param
   * `onFailure`). Listing the same resource again changes nothing. Ids and names only.
   */
  recordCreated(resource: CreatedResource): void;
  /**
   * Which team owns the projects intents created: recorded by `project.create` in the step
   * that learns the project id (so even a failed or cancelled create's project stays visible
   * to its team), released by `project.delete` and by the undo that deletes the project.
   */
  ownership: ProjectOwnership;
  /**
   * The desired state of each pull request's preview (advanced by the API on each accepted
   * event); preview kinds read it under the project lock. Undefined in engine-only tests.
   */
  pullRequests: PullRequestStates | undefined;
  log: Logger;
}

/** What a step reports back. */
export interface StepOutcome {
  /** Operations the mutation started; the intent waits until they are terminal. */
  operations?: readonly Operation[];
}

export interface Step<K extends IntentKind, S extends JsonState> {
  /** Shown in the intent's steps. */
  name: string;
  /** Whether the step changes Neon (then it runs under the project lock and is reconciled on resume). */
  mutates: boolean;
  /** Skips the step (status `skipped`) when it returns true, e.g. no role was asked for. */
  skip?(ctx: StepContext<K, S>): boolean;
  run(ctx: StepContext<K, S>): Promise<StepOutcome | void>;
}

/** How one intent kind is carried out: its steps, then its result. */
export interface KindHandler<K extends IntentKind, S extends JsonState = JsonState> {
  /** The state at the start (before any step). */
  initialState(params: ParamsOf<K>): S;
  steps: Step<K, S>[];
  /**
   * Builds the public result and the secrets (sealed by the engine; omit when already
   * stored through `storeSecrets`). Runs after every step succeeded; may call Neon.
   */
  finish(ctx: StepContext<K, S>): Promise<{ result: ResultOf<K>; secrets?: SecretsOf<K> }>;
  /** Runs after the intent succeeded (before its end is written). */
  afterSuccess?(ctx: StepContext<K, S> & { result: ResultOf<K> }): Promise<void>;
}

/** Defines a handler with its own typed state; the handler map only sees the kind. */
export function defineKind<K extends IntentKind, S extends JsonState>(handler: KindHandler<K, S>): KindHandler<K> {
  return handler as unknown as KindHandler<K>;
}
