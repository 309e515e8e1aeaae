import { intentActorSchema, intentKindSchema, intentStatusSchema } from '@neonops/intents';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AdminRequiredError, DurableStoreNotConfiguredError, ValidationError } from '../errors.js';
import { withDurable } from '../plugins/app/budgets.js';
import { commonProblems, problem } from './schemas.js';

const auditQuerySchema = z.strictObject({
  teamId: z.string().min(1).max(64).optional().describe('Only this team’s intents'),
  kind: intentKindSchema.optional(),
  from: z.iso.datetime({ offset: true }).optional().describe('Created at or after (RFC 3339)'),
  to: z.iso.datetime({ offset: true }).optional().describe('Created before (RFC 3339)'),
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().min(1).max(64).optional().describe('`nextCursor` of the previous page'),
});

const auditEntrySchema = z
  .object({
    intentId: z.string(),
    teamId: z.string(),
    kind: z.string(),
    status: intentStatusSchema,
    actor: intentActorSchema.optional().describe('Who asked: a token (its id, never the secret), a hook source, a schedule, a budget or a quota sweep; absent for intents recorded before actors were'),
    params: z.record(z.string(), z.unknown()).describe('What was asked for'),
    createdAt: z.string(),
    finishedAt: z.string().optional(),
    operationIds: z.array(z.string()).describe('The Neon operations the intent started'),
    neonRequestIds: z.array(z.string()).describe('Neon request ids the intent recorded: the changes Neon accepted (per step), then those of failed calls (the intent’s and its steps’ errors)'),
    partial: z.boolean().describe('Only the end event reached the history (params, actor unknown)'),
  })
  .meta({ id: 'AuditEntry' });

/**
 * `GET /v1/audit` (admin teams): who asked for which change, when, with which intent — from
 * the durable history, so intents appear once they have ended (the workers' history consumer
 * writes them within seconds); intents still running are in `GET /v1/intents` of their team.
 */
const auditRoutes: FastifyPluginAsyncZod = async (fastify) => {
  fastify.get(
    '/v1/audit',
    {
      schema: {
        summary: 'The audit of ended intents across teams (admins only)',
        description: 'Newest first by intent id; filters `teamId`, `kind`, `from`/`to` (creation time); cursor pages. Served from the durable history (PostgreSQL): intents appear once they have ended.',
        tags: ['admin'],
        security: [{ bearer: [] }],
        querystring: auditQuerySchema,
        response: {
          200: z.object({ items: z.array(auditEntrySchema), nextCursor: z.string().optional() }),
          ...commonProblems,
          403: problem('`admin_required`'),
          503: problem('`durable_store_not_configured` (no DATABASE_URL) or `store_unavailable`'),
        },
      },
    },
    async (request) => {
      if (!request.team.admin) throw new AdminRequiredError('The audit is for admin teams');
      const history = fastify.intentHistory;
      if (!history) throw new DurableStoreNotConfiguredError('The audit is read from the durable history: set DATABASE_URL');
      const { teamId, kind, from, to, limit, cursor } = request.query;
      if (from !== undefined && to !== undefined && Date.parse(from) >= Date.parse(to)) {
        throw new ValidationError([{ in: 'querystring', path: 'to', message: 'must be after from' }]);
      }
      const rows = await withDurable(() =>
        history.audit({
          limit: limit + 1,
          ...(teamId === undefined ? {} : { teamId }),
          ...(kind === undefined ? {} : { kind }),
          ...(from === undefined ? {} : { from: new Date(from) }),
          ...(to === undefined ? {} : { to: new Date(to) }),
          ...(cursor === undefined ? {} : { before: cursor }),
        }),
      );
      const page = rows.slice(0, limit);
      return {
        items: page.map((intent) => ({
          intentId: intent.id,
          teamId: intent.teamId,
          kind: intent.kind,
          status: intent.status,
          ...(intent.actor ? { actor: intent.actor } : {}),
          params: intent.params,
          createdAt: intent.createdAt,
          ...(intent.finishedAt ? { finishedAt: intent.finishedAt } : {}),
          operationIds: intent.operationIds,
          neonRequestIds: [
            ...new Set(
              [
                ...intent.steps.flatMap((step) => step.neonRequestIds ?? []),
                ...[intent.error, ...intent.steps.map((step) => step.error)].flatMap((error) => (error?.neonRequestId === undefined ? [] : [error.neonRequestId])),
              ],
            ),
          ],
          partial: intent.partial === true,
        })),
        ...(rows.length > limit && page.length > 0 ? { nextCursor: page[page.length - 1]!.id } : {}),
      };
    },
  );
};

export default auditRoutes;
