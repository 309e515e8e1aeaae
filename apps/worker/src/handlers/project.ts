import { NotReadyError } from '../errors.js';
import { deterministicName, intentAnnotation } from '../reconcile/annotation.js';
import { orUndefinedOn404 } from '../reconcile/children.js';
import { reconcileThenCreate } from '../reconcile/create.js';
import { findProjectOfIntent } from '../reconcile/project.js';
import { defineKind } from '../engine/types.js';
import { connectionUrisFor } from './connection-uris.js';
import type { ResultOf } from '@neonops/intents';
import { storeCreatedUris } from './branch.js';
import { branchSummary, databaseSummary, endpointSummary, projectSummary, roleSummary, settledBranchSummary, settledEndpointSummary } from './summaries.js';

type ProjectCreateState = {
  projectId?: string;
  name: string;
  /**
   * The result, from the create response as it is once its operations finished (public; its
   * connection URIs were sealed into the store from the same response): no read-back. Absent
   * when the project was found rather than created (a lost answer): then it is read from Neon.
   */
  result?: ResultOf<'project.create'>;
};

export const projectCreate = defineKind<'project.create', ProjectCreateState>({
  initialState: (params) => ({ name: params.name ?? '' }),
  steps: [
    {
      name: 'create_project',
      mutates: true,
      async run(ctx) {
        const name = ctx.state.name || deterministicName(ctx.intentId);
        ctx.state.name = name;
        const p = ctx.params;
        const outcome = await reconcileThenCreate({
          what: `Project "${name}"`,
          resumed: ctx.resumed,
          beginMutation: ctx.beginMutation,
          lookup: async () => {
            const found = await findProjectOfIntent(ctx.neon, name, ctx.intentId);
            return found ? { value: found, ours: true } : undefined;
          },
          create: () =>
            ctx.neon.createProject({
              project: {
                name,
                ...(p.regionId ? { region_id: p.regionId } : {}),
                ...(p.pgVersion ? { pg_version: p.pgVersion } : {}),
                ...(p.historyRetentionSeconds === undefined ? {} : { history_retention_seconds: p.historyRetentionSeconds }),
                ...(p.defaultEndpointSettings
                  ? {
                      default_endpoint_settings: {
                        ...(p.defaultEndpointSettings.autoscalingLimitMinCu === undefined ? {} : { autoscaling_limit_min_cu: p.defaultEndpointSettings.autoscalingLimitMinCu }),
                        ...(p.defaultEndpointSettings.autoscalingLimitMaxCu === undefined ? {} : { autoscaling_limit_max_cu: p.defaultEndpointSettings.autoscalingLimitMaxCu }),
                        ...(p.defaultEndpointSettings.suspendTimeoutSeconds === undefined ? {} : { suspend_timeout_seconds: p.defaultEndpointSettings.suspendTimeoutSeconds }),
                      },
                    }
                  : {}),
                branch: { annotations: intentAnnotation(ctx.intentId) },
              },
            }),
        });
        const projectId = outcome.created?.project.id ?? outcome.found?.id;
        if (projectId) {
          ctx.state.projectId = projectId;
          ctx.recordCreated({ type: 'project', projectId });
          // Owned from the moment it exists: a create that then fails or is cancelled leaves
          // a project its team can still see and delete (the undo releases it after deleting).
          await ctx.ownership.record(ctx.teamId, projectId);
        }
        const created = outcome.created;
        if (created && (await storeCreatedUris(ctx, created))) {
          ctx.state.result = {
            project: projectSummary(created.project),
            branch: settledBranchSummary(created.branch),
            endpoints: created.endpoints.map(settledEndpointSummary),
            databases: (created.databases ?? []).map(databaseSummary),
            roles: (created.roles ?? []).map(roleSummary),
          };
        }
        return { operations: outcome.created?.operations ?? [] };
      },
    },
  ],
  async finish(ctx) {
    const projectId = ctx.state.projectId;
    if (!projectId) throw new Error('project.create finished without a project id');
    if (ctx.state.result) return { result: ctx.state.result };
    const { project } = await ctx.neon.getProject(projectId);
    const { branches } = await ctx.neon.listBranchesPage(projectId, {});
    const branch = branches.find((b) => b.default) ?? branches[0];
    if (!branch) throw new NotReadyError(`project ${projectId} has no branch yet`);
    const [{ endpoints }, { databases }, { roles }] = await Promise.all([
      ctx.neon.listBranchEndpoints(projectId, branch.id),
      ctx.neon.listDatabases(projectId, branch.id),
      ctx.neon.listRoles(projectId, branch.id),
    ]);
    const connectionUris = await connectionUrisFor(ctx.neon, projectId, branch.id, endpoints, databases);
    return {
      result: {
        project: projectSummary(project),
        branch: branchSummary(branch),
        endpoints: endpoints.map(endpointSummary),
        databases: databases.map(databaseSummary),
        roles: roles.map(roleSummary),
      },
      secrets: { connectionUris },
    };
  },
});

export const projectUpdate = defineKind<'project.update', { project?: ResultOf<'project.update'>['project'] }>({
  initialState: () => ({}),
  steps: [
    {
      name: 'update_project',
      mutates: true,
      async run(ctx) {
        const p = ctx.params;
        const s = p.defaultEndpointSettings;
        const res = await ctx.neon.updateProject(p.projectId, {
          project: {
            ...(p.name === undefined ? {} : { name: p.name }),
            ...(p.historyRetentionSeconds === undefined ? {} : { history_retention_seconds: p.historyRetentionSeconds }),
            ...(s
              ? {
                  default_endpoint_settings: {
                    ...(s.autoscalingLimitMinCu === undefined ? {} : { autoscaling_limit_min_cu: s.autoscalingLimitMinCu }),
                    ...(s.autoscalingLimitMaxCu === undefined ? {} : { autoscaling_limit_max_cu: s.autoscalingLimitMaxCu }),
                    ...(s.suspendTimeoutSeconds === undefined ? {} : { suspend_timeout_seconds: s.suspendTimeoutSeconds }),
                  },
                }
              : {}),
          },
        });
        // The response holds the project as changed (no read-back).
        ctx.state.project = projectSummary(res.project);
        return { operations: res.operations };
      },
    },
  ],
  async finish(ctx) {
    if (ctx.state.project) return { result: { project: ctx.state.project } };
    const { project } = await ctx.neon.getProject(ctx.params.projectId);
    return { result: { project: projectSummary(project) } };
  },
});

export const projectDelete = defineKind<'project.delete', Record<string, never>>({
  initialState: () => ({}),
  steps: [
    {
      name: 'delete_project',
      mutates: true,
      async run(ctx) {
        // Already gone counts as done; the project's operations go with it, so nothing to wait for.
        await orUndefinedOn404(ctx.neon.deleteProject(ctx.params.projectId));
        return {};
      },
    },
  ],
  async finish(ctx) {
    return { result: { projectId: ctx.params.projectId, deleted: true as const } };
  },
  async afterSuccess(ctx) {
    await ctx.ownership.release(ctx.params.projectId);
  },
});
