import type { FastifyInstance } from 'fastify';
import type { Simulation } from '../core.js';
import { apiKeyCreateBody, parseBody } from '../http/bodies.js';
import { badRequest, notFound } from '../http/errors.js';
import { iso } from '../http/serialize.js';
import type { ResponseBody } from '../http/types.js';

export function registerApiKeyRoutes(app: FastifyInstance, sim: Simulation): void {
  app.get('/api_keys', async () => {
    const body: ResponseBody<'listApiKeys', 200> = [...sim.store.apiKeys.values()].filter((k) => !k.revoked).map((k) => sim.serializer.apiKey(k));
    return body;
  });

  app.post('/api_keys', async (request) => {
    const input = parseBody(apiKeyCreateBody, request.body);
    const id = sim.ids.numeric();
    const createdBy = request.simAccount?.createdBy ?? sim.ids.userId();
    const key = { id, name: input.key_name, token: sim.ids.apiKeyToken(), createdAt: sim.now(), createdBy, lastUsedFromAddr: '', revoked: false };
    sim.store.apiKeys.set(id, key);
    // The token is shown once, here; listings never show it.
    const body: ResponseBody<'createApiKey', 200> = { id, key: key.token, name: key.name, created_at: iso(key.createdAt), created_by: createdBy };
    return body;
  });

  app.delete<{ Params: { key_id: string } }>('/api_keys/:key_id', async (request) => {
    const id = Number(request.params.key_id);
    if (!Number.isInteger(id)) throw badRequest('key_id must be an integer');
    const key = sim.store.apiKeys.get(id);
    if (!key) throw notFound('API key');
    key.revoked = true;
    const body: ResponseBody<'revokeApiKey', 200> = {
      id,
      name: key.name,
      created_at: iso(key.createdAt),
      created_by: key.createdBy,
      last_used_at: key.lastUsedAt !== undefined ? iso(key.lastUsedAt) : null,
      last_used_from_addr: key.lastUsedFromAddr,
      revoked: true,
    };
    return body;
  });
}
