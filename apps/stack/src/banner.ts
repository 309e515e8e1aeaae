import { describeRedisUrl } from '@neonops/intents';
import type { RunningStack } from './stack.js';

/** What `pnpm start` prints once everything is up: where things are and a first request to try. */
export function banner(stack: RunningStack, redisUrl: string): string {
  const api = stack.apiUrl;
  const neon = stack.sim
    ? `Neon simulator ${stack.sim.url}  (control API ${stack.sim.origin}/_sim)`
    : `Neon API ${stack.neonBaseUrl}`;
  const params = stack.demoProjectId
    ? `{"projectId":"${stack.demoProjectId}","endpoints":[{"type":"read_write"}]}`
    : '{"name":"demo"}';
  const kind = stack.demoProjectId ? 'branch.create' : 'project.create';
  return [
    '',
    'Neon automation service is running.',
    `  API        ${api}   (Swagger UI ${api}/docs, OpenAPI ${api}/openapi.json)`,
    `  Neon       ${neon}`,
    `  Redis      ${describeRedisUrl(redisUrl)}`,
    `  History    ${stack.history === 'pglite:memory' ? 'PGlite in memory (gone at exit; DATABASE_URL=pglite:<dir> or postgres://… keeps it)' : stack.history}`,
    `  Demo team  id "demo"${stack.demoProjectId ? `, project ${stack.demoProjectId}` : ''}; may create projects`,
    `  Token      ${stack.demoToken}   (shown once; valid until this process stops)`,
    '',
    'Try it:',
    `  export TOKEN=${stack.demoToken}`,
    `  curl -s -X POST ${api}/v1/intents -H "Authorization: Bearer $TOKEN" \\`,
    `    -H 'Content-Type: application/json' -H "Idempotency-Key: demo-$(date +%s)" \\`,
    `    -d '{"kind":"${kind}","params":${params}}'`,
    `  curl -s ${api}/v1/intents -H "Authorization: Bearer $TOKEN"      # follow it`,
    '',
    'Stop with Ctrl-C.',
    '',
  ].join('\n');
}
