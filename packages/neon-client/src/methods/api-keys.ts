/** API keys: list, create, revoke. */
import type { CallOptions } from '../core/options.js';
import type { TypedCall } from '../core/typed.js';
import type { BodyOf } from '../types.js';

export function apiKeyMethods(call: TypedCall) {
  return {
    /** `GET /api_keys` — the account's API keys (Python `api_keys`). */
    listApiKeys: (options?: CallOptions) => call('get', '/api_keys', {}, options),
    /** `POST /api_keys` — the response holds the new key's secret once (Python `api_key_create`). */
    createApiKey: (body: BodyOf<'/api_keys', 'post'>, options?: CallOptions) => call('post', '/api_keys', { body }, options),
    /** `DELETE /api_keys/{key_id}` (Python `api_key_revoke`). */
    revokeApiKey: (keyId: number, options?: CallOptions) =>
      call('delete', '/api_keys/{key_id}', { path: { key_id: keyId } }, options),
  };
}
