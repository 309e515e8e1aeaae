import { z } from 'zod';
import { intentKindSchema } from '../catalog.js';
import { branchNameSchema, neonIdSchema, newEndpointSchema } from '../params.js';
import { checkNameTemplate, DEFAULT_PREVIEW_NAME_TEMPLATE, PreviewNameError } from '../previews/name-template.js';
import { PREVIEW_TTL_MAX_SECONDS, previewDatabaseSchema } from '../previews/params.js';

/** `owner/name` of a GitHub repository; stored in lower case and compared without case (as GitHub does). */
export const repositoryNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9_.-]{1,100}\/[A-Za-z0-9_.-]{1,100}$/, 'must be "owner/name"');

const nameTemplateSchema = z
  .string()
  .min(1)
  .max(200)
  .superRefine((template, ctx) => {
    try {
      checkNameTemplate(template);
    } catch (error) {
      if (error instanceof PreviewNameError) ctx.addIssue({ code: 'custom', message: error.message });
      else throw error;
    }
  });

/** How a GitHub source makes a pull request's preview branch. */
export const previewRuleSchema = z.strictObject({
  /** Parent branch (name) of every preview, and what a reset restores from. Default: the project's default branch. */
  parent: branchNameSchema.optional(),
  /**
   * Branch name; placeholders `{number}`, `{head_ref}`, `{base_ref}`, `{repo}`, `{owner}`,
   * `{sha}` (7 chars). The result is made safe and cut to Neon's 256 characters. Default
   * `preview/pr-{number}-{head_ref}`.
   */
  nameTemplate: nameTemplateSchema.default(DEFAULT_PREVIEW_NAME_TEMPLATE),
  /** The compute created with the branch; `null` for none. Default `{ type: "read_write" }`. */
  endpoint: newEndpointSchema.nullable().default({ type: 'read_write' }),
  /** The branch expires this long after the PR's last activity (each event moves it). Default 7 days; at most 30 days. */
  ttlSeconds: z.number().int().min(60).max(PREVIEW_TTL_MAX_SECONDS).default(7 * 86_400),
  /** On each push (`synchronize`) restore the branch to its parent's current state. Default false: the TTL is extended only. */
  resetOnPush: z.boolean().default(false),
  /** Make previews for pull requests from forks. Default false (their events are answered `200` and ignored). */
  allowForks: z.boolean().default(false),
  /**
   * A database and its owner role each preview must have (`{ name, owner }`): made on the
   * preview when the parent's data has none (and again after a reset), adopted when it does.
   * Default: none (the preview has what its parent has).
   */
  database: previewDatabaseSchema.optional(),
});

const sourceName = z.string().min(1).max(100).optional();

const githubFields = {
  kind: z.literal('github'),
  name: sourceName,
  /** The Neon project previews are made in; one of the team's projects. */
  projectId: neonIdSchema,
  /** Repositories whose pull requests this source accepts. */
  repositories: z.array(repositoryNameSchema).min(1).max(100),
  preview: previewRuleSchema.default(previewRuleSchema.parse({})),
};

const standardFields = {
  kind: z.literal('standard-webhooks'),
  name: sourceName,
  /** Intent kinds this source may trigger. Default: every kind the team may submit. */
  kinds: z.array(intentKindSchema).min(1).optional(),
  /** Projects this source may act on. Default: every project of the team. */
  projects: z.array(neonIdSchema).min(1).max(100).optional(),
};

/**
 * A GitHub token (fine-grained: "Commit statuses" and "Pull requests" read and write on the
 * repositories; classic: `repo:status` + `public_repo`/`repo`). Write-only: sealed at rest,
 * never shown or logged.
 */
export const githubTokenSchema = z
  .string()
  .min(1)
  .max(512)
  .regex(/^[\x21-\x7e]+$/, 'must be a token (printable characters, no spaces)')
  .describe('Write-only. With it, each preview intent posts a commit status on the head SHA and one comment (updated in place) on the pull request.');

/** `POST /v1/sources`: a GitHub source or a Standard Webhooks source. */
export const createSourceBodySchema = z.discriminatedUnion('kind', [
  z.strictObject({ ...githubFields, githubToken: githubTokenSchema.optional() }),
  z.strictObject(standardFields),
]);
export type CreateSourceBody = z.output<typeof createSourceBodySchema>;

/** The name of an environment variable (where the teams file says a secret is; never the secret). */
const envNameSchema = z.string().regex(/^[A-Z_][A-Z0-9_]{0,127}$/, 'an environment variable name (A-Z, 0-9, _)');
/** A source's id within its team in the teams file. */
const fileSourceKeySchema = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,39}$/, 'lowercase letters, digits, - and _ (1–40 chars)');

/**
 * A source written in the teams file (`teams[].sources[]`): the body of `POST /v1/sources`
 * plus a stable `id` within the team and where its secrets are — `secretEnv` (GitHub: the
 * webhook secret, any string of 16+ characters; Standard Webhooks: a `whsec_…` key) and,
 * for GitHub, `githubTokenEnv` — names of environment variables, never the values.
 */
export const fileSourceSchema = z.discriminatedUnion('kind', [
  z.strictObject({ ...githubFields, id: fileSourceKeySchema, secretEnv: envNameSchema, githubTokenEnv: envNameSchema.optional() }),
  z.strictObject({ ...standardFields, id: fileSourceKeySchema, secretEnv: envNameSchema }),
]);
export type FileSource = z.output<typeof fileSourceSchema>;

/** The id of a teams-file source: `src_<team>--<id>` (stable across restarts: GitHub's webhook URL names it). */
export const fileSourceId = (teamId: string, id: string): string => `src_${teamId}--${id}`;

const shown = {
  id: z.string(),
  createdAt: z.string(),
  /** Written in the teams file: replaced at each start, and not deletable through the API. */
  fromTeamsFile: z.boolean().optional(),
};

/** A source as stored (the secrets sealed) and shown (never a secret or token). */
export const sourceViewSchema = z
  .discriminatedUnion('kind', [
    z.object({
      ...githubFields,
      ...shown,
      /** Whether results are posted back to the pull requests (a GitHub token is configured). */
      postsToGitHub: z.boolean().default(false),
    }),
    z.object({ ...standardFields, ...shown }),
  ])
  .meta({ id: 'Source' });
export type SourceView = z.output<typeof sourceViewSchema>;
export type SourceRecord = SourceView & { teamId: string; sealedSecret: string };
/** A GitHub source as stored. */
export type GithubSourceRecord = Extract<SourceRecord, { kind: 'github' }>;

export const sourceIdParamsSchema = z.strictObject({ sourceId: z.string().min(1).max(140) });
