import { orUndefinedOn404 } from '../reconcile/children.js';
import { defineKind } from '../engine/types.js';

type ApiKeyState = { id?: number; name?: string; createdAt?: string };

export const apiKeyCreate = defineKind<'api_key.create', ApiKeyState>({
  initialState: () => ({}),
  steps: [
    {
      name: 'create_api_key',
      mutates: true,
      async run(ctx) {
        const { keyName } = ctx.params;
        if (ctx.resumed && ctx.mutationStartedAt) {
          // Neon shows a key's secret only in the create response. If that response was lost,
          // the key it made is useless to us: revoke such orphans (same name, created since our
          // create started) before making the one we hand out.
          const since = Date.parse(ctx.mutationStartedAt) - 60_000;
          const keys = await ctx.neon.listApiKeys();
          for (const key of keys) {
            if (key.name === keyName && Date.parse(key.created_at) >= since && !('revoked' in key && key.revoked)) {
              await orUndefinedOn404(ctx.neon.revokeApiKey(key.id));
            }
          }
        }
        await ctx.beginMutation();
        const created = await ctx.neon.createApiKey({ key_name: keyName });
        ctx.recordCreated({ type: 'api_key', keyId: created.id, name: created.name });
        // Sealed into the store at once: nothing else will ever show this key again.
        await ctx.storeSecrets({ key: created.key });
        Object.assign(ctx.state, { id: created.id, name: created.name, createdAt: created.created_at });
        return {};
      },
    },
  ],
  async finish(ctx) {
    const { id, name, createdAt } = ctx.state;
    if (id === undefined || !name || !createdAt) throw new Error('api_key.create finished without a key');
    return { result: { id, name, createdAt } };
  },
});

export const apiKeyRevoke = defineKind<'api_key.revoke', Record<string, never>>({
  initialState: () => ({}),
  steps: [
    {
      name: 'revoke_api_key',
      mutates: true,
      async run(ctx) {
        await orUndefinedOn404(ctx.neon.revokeApiKey(ctx.params.keyId));
        return {};
      },
    },
  ],
  async finish(ctx) {
    return { result: { id: ctx.params.keyId, revoked: true as const } };
  },
});
