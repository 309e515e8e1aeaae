import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { generateSigningSecret, secretKey, sign, signatureHeaders } from './signing.js';

describe('signing', () => {
  it('makes whsec_ secrets of 32 random bytes', () => {
    const a = generateSigningSecret();
    expect(a).toMatch(/^whsec_/);
    expect(secretKey(a)).toHaveLength(32);
    expect(generateSigningSecret()).not.toBe(a);
  });

  it('signs per the Standard Webhooks spec (verified by the official package)', () => {
    const secret = generateSigningSecret();
    const body = JSON.stringify({ type: 'ping', timestamp: new Date().toISOString(), data: { a: 'ü' } });
    const ts = Math.floor(Date.now() / 1000);
    const headers = signatureHeaders([secret], 'msg_1', ts, body);
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
    // The package's own signature is ours.
    expect(new Webhook(secret).sign('msg_1', new Date(ts * 1000), body)).toBe(sign(secret, 'msg_1', ts, body));
    expect(() => new Webhook(secret).verify(body + ' ', headers)).toThrow();
    expect(() => new Webhook(generateSigningSecret()).verify(body, headers)).toThrow();
  });

  it('lists one signature per secret, space-separated; either secret verifies', () => {
    const [a, b] = [generateSigningSecret(), generateSigningSecret()];
    const ts = Math.floor(Date.now() / 1000);
    const headers = signatureHeaders([a, b], 'msg_2', ts, '{}');
    expect(headers['webhook-signature']!.split(' ')).toHaveLength(2);
    expect(new Webhook(a).verify('{}', headers)).toEqual({});
    expect(new Webhook(b).verify('{}', headers)).toEqual({});
  });
});
