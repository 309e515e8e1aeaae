import type { Endpoint, NeonClient } from '@neonops/neon-client';
import { deterministicName } from '../reconcile/annotation.js';
import { orUndefinedOn404 } from '../reconcile/children.js';
import { pendingOperationsOf, reconcileThenCreate } from '../reconcile/create.js';
import { defineKind, type KindHandler } from '../engine/types.js';
import type { EndpointSummary } from '@neonops/intents';
import { endpointSummary, settledEndpointSummary } from './summaries.js';

/**
 * `endpoint`: the endpoint from the mutation's response as it is once its operations finished
 * (`settledEndpointSummary`): the result needs no read-back. Absent when the response was
 * lost and the endpoint found instead: then the result is read from Neon.
 */
type EndpointState = { endpointId?: string; endpoint?: EndpointSummary };

export const endpointCreate = defineKind<'endpoint.create', EndpointState>({
  initialState: () => ({}),
  steps: [
    {
      name: 'create_endpoint',
      mutates: true,
      async run(ctx) {
        const p = ctx.params;
        const name = deterministicName(ctx.intentId);
        const outcome = await reconcileThenCreate({
          what: `A ${p.type} endpoint on branch ${p.branchId}`,
          resumed: ctx.resumed,
          beginMutation: ctx.beginMutation,
          // The endpoint is named after the intent, so an earlier attempt's endpoint is found by name.
          lookup: async () => {
            const { endpoints } = await ctx.neon.listBranchEndpoints(p.projectId, p.branchId);
            const found = endpoints.find((e) => e.name === name);
            return found ? { value: found, ours: true } : undefined;
          },
          create: () =>
            ctx.neon.createEndpoint(p.projectId, {
              endpoint: {
                branch_id: p.branchId,
                type: p.type,
                name,
                ...(p.autoscalingLimitMinCu === undefined ? {} : { autoscaling_limit_min_cu: p.autoscalingLimitMinCu }),
                ...(p.autoscalingLimitMaxCu === undefined ? {} : { autoscaling_limit_max_cu: p.autoscalingLimitMaxCu }),
                ...(p.suspendTimeoutSeconds === undefined ? {} : { suspend_timeout_seconds: p.suspendTimeoutSeconds }),
              },
            }),
        });
        if (outcome.created) {
          ctx.state.endpointId = outcome.created.endpoint.id;
          ctx.state.endpoint = settledEndpointSummary(outcome.created.endpoint);
          ctx.recordCreated({ type: 'endpoint', projectId: p.projectId, branchId: p.branchId, endpointId: outcome.created.endpoint.id });
          return { operations: outcome.created.operations };
        }
        const endpoint = outcome.found as Endpoint;
        ctx.state.endpointId = endpoint.id;
        ctx.recordCreated({ type: 'endpoint', projectId: p.projectId, branchId: p.branchId, endpointId: endpoint.id });
        return { operations: await pendingOperationsOf(ctx.neon, p.projectId, { endpointId: endpoint.id }) };
      },
    },
  ],
  async finish(ctx) {
    const id = ctx.state.endpointId;
    if (!id) throw new Error('endpoint.create finished without an endpoint id');
    if (ctx.state.endpoint) return { result: { endpoint: ctx.state.endpoint } };
    const { endpoint } = await ctx.neon.getEndpoint(ctx.params.projectId, id);
    return { result: { endpoint: endpointSummary(endpoint) } };
  },
});

export const endpointUpdate = defineKind<'endpoint.update', EndpointState>({
  initialState: () => ({}),
  steps: [
    {
      name: 'update_endpoint',
      mutates: true,
      async run(ctx) {
        const p = ctx.params;
        const res = await ctx.neon.updateEndpoint(p.projectId, p.endpointId, {
          endpoint: {
            ...(p.autoscalingLimitMinCu === undefined ? {} : { autoscaling_limit_min_cu: p.autoscalingLimitMinCu }),
            ...(p.autoscalingLimitMaxCu === undefined ? {} : { autoscaling_limit_max_cu: p.autoscalingLimitMaxCu }),
            ...(p.suspendTimeoutSeconds === undefined ? {} : { suspend_timeout_seconds: p.suspendTimeoutSeconds }),
            ...(p.disabled === undefined ? {} : { disabled: p.disabled }),
          },
        });
        ctx.state.endpoint = settledEndpointSummary(res.endpoint);
        return { operations: res.operations };
      },
    },
  ],
  finish: endpointResult,
});

export const endpointDelete = defineKind<'endpoint.delete', Record<string, never>>({
  initialState: () => ({}),
  steps: [
    {
      name: 'delete_endpoint',
      mutates: true,
      async run(ctx) {
        const res = await orUndefinedOn404(ctx.neon.deleteEndpoint(ctx.params.projectId, ctx.params.endpointId));
        return { operations: res?.operations ?? [] };
      },
    },
  ],
  async finish(ctx) {
    return { result: { endpointId: ctx.params.endpointId, deleted: true as const } };
  },
});

/** The endpoint as the mutation's response said it would be once its operations finished; else read from Neon. */
async function endpointResult(ctx: { neon: NeonClient; params: { projectId: string; endpointId: string }; state: EndpointState }) {
  if (ctx.state.endpoint) return { result: { endpoint: ctx.state.endpoint } };
  const { endpoint } = await ctx.neon.getEndpoint(ctx.params.projectId, ctx.params.endpointId);
  return { result: { endpoint: endpointSummary(endpoint) } };
}

/** start / suspend / restart: one POST, then wait, then report the endpoint. Repeating one is harmless. */
function endpointAction<K extends 'endpoint.start' | 'endpoint.suspend' | 'endpoint.restart'>(
  action: 'start' | 'suspend' | 'restart',
): KindHandler<K> {
  // The three kinds share params and result shapes (only `kind` differs), so one handler shape serves all.
  const handler = defineKind<'endpoint.start', EndpointState>({
    initialState: () => ({}),
    steps: [
      {
        name: `${action}_endpoint`,
        mutates: true,
        async run(ctx) {
          const { projectId, endpointId } = ctx.params;
          const call =
            action === 'start'
              ? ctx.neon.startEndpoint(projectId, endpointId)
              : action === 'suspend'
                ? ctx.neon.suspendEndpoint(projectId, endpointId)
                : ctx.neon.restartEndpoint(projectId, endpointId);
          const res = await call;
          ctx.state.endpoint = settledEndpointSummary(res.endpoint);
          return { operations: res.operations };
        },
      },
    ],
    finish: endpointResult,
  });
  return handler as unknown as KindHandler<K>;
}

export const endpointStart = endpointAction<'endpoint.start'>('start');
export const endpointSuspend = endpointAction<'endpoint.suspend'>('suspend');
export const endpointRestart = endpointAction<'endpoint.restart'>('restart');
