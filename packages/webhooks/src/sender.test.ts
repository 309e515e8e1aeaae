import { describe, expect, it, onTestFinished } from 'vitest';
import { sendWebhook } from './sender.js';
import { SsrfGuard } from './ssrf.js';
import { startReceiver } from './test/receiver.js';

describe('sendWebhook', () => {
  it('never sends a user name and password of the URL (no Basic auth)', async () => {
    const r = await startReceiver();
    onTestFinished(() => r.close());
    const guard = new SsrfGuard({ allowCidrs: ['127.0.0.1/32'] });
    const result = await sendWebhook({ url: `http://alice:hunter2@127.0.0.1:${r.port}/hook`, body: '{}', headers: {}, timeoutMs: 5000, guard });
    expect(result.status).toBe(200);
    const [got] = await r.waitFor(1);
    expect(got?.headers.authorization).toBeUndefined();
    expect(JSON.stringify(got)).not.toContain('hunter2');
  });

  it('at delivery, refuses a host name that resolves to an address embedding the metadata or a loopback IPv4 address', async () => {
    const zone: Record<string, string> = { 'a.example': '::a9fe:a9fe', 'b.example': '::ffff:0:a9fe:a9fe', 'c.example': '2002:a9fe:a9fe::1', 'd.example': '::7f00:1' };
    const guard = new SsrfGuard(
      { allowCidrs: ['127.0.0.1/32'] },
      { resolve: (hostname, _o, callback) => callback(null, [{ address: zone[hostname] ?? '::', family: 6 }]) },
    );
    for (const host of Object.keys(zone)) {
      const result = await sendWebhook({ url: `http://${host}/hook`, body: '{}', headers: {}, timeoutMs: 5000, guard });
      expect(result.error?.code, host).toBe('address_refused');
      expect(result.status).toBeUndefined();
    }
  });
});
