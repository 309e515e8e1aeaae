import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { untilClientGone } from './client-gone.js';
import { z } from 'zod';
import { PreviewNotFoundError } from '../errors.js';
import type { IntentView } from '../plugins/app/intents-service.js';
import { commonProblems, intentViewSchema, problem } from './schemas.js';

export const previewQuerySchema = z.strictObject({
  repo: z
    .string()
    .regex(/^[\w.-]+\/[\w.-]+$/, 'owner/name')
    .max(200)
    .describe('The repository, `owner/name`'),
  pr: z.coerce.number().int().positive().describe('The pull request number'),
  wait: z.coerce.number().int().min(0).max(60).optional().describe('Seconds (0–60) to wait for the preview’s intent to finish'),
});

export const previewViewSchema = z.object({
  repo: z.string(),
  pr: z.number().int(),
  /** What the newest accepted event asked for. */
  state: z.enum(['open', 'closed']),
  /** The preview branch, once its intent made or found it. */
  branch: z.object({ id: z.string(), name: z.string() }).optional(),
  /** The compute's host, once known. */
  host: z.string().optional(),
  /** The latest intent of the preview (with its secrets, for the owning team: the connection URIs). */
  intent: intentViewSchema,
});
export type PreviewView = z.infer<typeof previewViewSchema>;

/** The branch and host a `preview.ensure` result names. */
function previewOf(intent: IntentView): Pick<PreviewView, 'branch' | 'host'> {
  const result = (intent.result ?? {}) as { branch?: { id?: unknown; name?: unknown }; endpoints?: { host?: unknown }[] };
  const branch = typeof result.branch?.id === 'string' && typeof result.branch.name === 'string' ? { id: result.branch.id, name: result.branch.name } : undefined;
  const host = result.endpoints?.find((e) => typeof e.host === 'string')?.host as string | undefined;
  return { ...(branch ? { branch } : {}), ...(host ? { host } : {}) };
}

/** `GET /v1/previews?repo=&pr=`: a team's pull-request preview without knowing its intent. */
const previewRoutes: FastifyPluginAsyncZod = async (fastify) => {
  fastify.get(
    '/v1/previews',
    {
      schema: {
        summary: 'Find a pull request’s preview',
        description:
          'The team’s preview of `repo` and `pr`: what its newest event asked for (`open`, `closed`), its branch and host once made, and its latest intent ' +
          '(with the connection URIs, for the owning team). With `?wait=<seconds>` (at most 60) it answers as soon as that intent is finished.',
        tags: ['previews'],
        security: [{ bearer: [] }],
        querystring: previewQuerySchema,
        response: { 200: previewViewSchema, ...commonProblems, 404: problem('`preview_not_found`') },
      },
    },
    async (request, reply) => {
      const { repo, pr, wait } = request.query;
      const entry = await fastify.previews.get(request.team.id, repo, pr);
      if (!entry) throw new PreviewNotFoundError(`No preview of ${repo}#${pr} for this team`);
      const intent = await untilClientGone(reply, (signal) => fastify.intents.getWhenDone(request.team, entry.intentId, (wait ?? 0) * 1000, signal));
      return { repo: entry.repo, pr, state: entry.state, ...previewOf(intent), intent };
    },
  );
};

export default previewRoutes;
