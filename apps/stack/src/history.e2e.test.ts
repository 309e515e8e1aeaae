import { corePrefix } from '@neonops/intents';
import { IntentHistory } from '@neonops/durable-store';
import { useTestDatabase, useTestRedis, waitUntil } from '@neonops/testing';
import { describe, expect, it, onTestFinished } from 'vitest';
import { loadStackConfig } from './config.js';
import { startStack } from './stack.js';
import { apiClient } from './test-client.js';

/**
 * The durable history end to end: an intent carried out by a real worker reaches PostgreSQL
 * through the outbox's history group, and the API still shows it once Redis has let it go.
 */
describe('the intent history through the stack', () => {
  it('keeps an ended intent after its Redis record expired: listed and readable, without its secrets', { timeout: 60_000 }, async () => {
    const redis = useTestRedis('history-e2e');
    const db = useTestDatabase('stack-history');
    const config = loadStackConfig({ PORT: '0', SIM_PORT: '0', SIM_SCHEDULING_MS: '5', SIM_RUNNING_MS: '10', REDIS_URL: redis.url, ...db.env });
    const stack = await startStack(config, { env: { KEY_PREFIX: redis.prefix, LOG_LEVEL: 'silent', TEAMS_FILE: '/nonexistent/teams.yaml' } });
    onTestFinished(() => stack.close());
    const api = apiClient(stack.apiUrl, stack.demoToken);

    const view = await api.run('branch.create', { projectId: stack.demoProjectId, name: 'kept', endpoints: [{ type: 'read_write' }] });
    expect(view.status).toBe('succeeded');
    expect(view.secrets).toBeDefined();
    const history = new IntentHistory(stack.database);
    const kept = await waitUntil(() => history.get('demo', view.id as string));
    expect(kept.partial).toBeUndefined();

    // Retention, simulated: the record and its secrets leave Redis.
    const client = redis.connect();
    await client.del(`${corePrefix(redis.prefix)}intent:${view.id}`, `${corePrefix(redis.prefix)}intent:${view.id}:secrets`);
    const { secrets: _secrets, ...withoutSecrets } = view;
    const again = await api.request('GET', `/v1/intents/${view.id}`);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(withoutSecrets);
    const listed = await api.request('GET', '/v1/intents');
    expect((listed.body.items as { id: string }[]).map((i) => i.id)).toContain(view.id);
  });
});
