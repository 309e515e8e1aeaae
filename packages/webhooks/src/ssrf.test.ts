import { describe, expect, it } from 'vitest';
import { AddressRefusedError, SsrfGuard } from './ssrf.js';

function lookup(guard: SsrfGuard, host: string, all = false): Promise<{ err: NodeJS.ErrnoException | null; address: unknown }> {
  return new Promise((resolve) => guard.lookup(host, { all }, (err, address) => resolve({ err, address })));
}

describe('SsrfGuard', () => {
  const strict = new SsrfGuard();

  it.each([
    ['169.254.169.254', 'metadata'],
    ['fd00:ec2::254', 'metadata'],
    ['127.0.0.1', 'loopback'],
    ['127.8.9.10', 'loopback'],
    ['::1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['fc00::1', 'private'],
    ['fd12:3456::1', 'private'],
    ['169.254.1.1', 'link-local'],
    ['fe80::1', 'link-local'],
    ['100.64.0.1', 'cgnat'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:169.254.169.254', 'metadata'],
  ])('refuses %s (%s)', (address, reason) => {
    const decision = strict.decide(address);
    expect(decision.allowed).toBe(false);
    if (!decision.allowed) expect(decision.reason).toContain(reason);
  });

  it.each(['93.184.216.34', '172.32.0.1', '8.8.8.8', '2606:4700::1111', '100.128.0.1'])('allows the public address %s (decision only, no traffic)', (address) => {
    expect(strict.decide(address)).toEqual({ allowed: true });
  });

  it('remembers each decision by the host and the address together, and keeps the memory bounded', () => {
    const guard = new SsrfGuard({ allowHosts: ['hooks.internal'] });
    // The same address through an allowlisted host and through another: each answer stays its own.
    for (let i = 0; i < 2; i++) {
      expect(guard.decide('10.0.0.1', 'hooks.internal')).toEqual({ allowed: true });
      expect(guard.decide('10.0.0.1', 'other.internal').allowed).toBe(false);
      expect(guard.decide('10.0.0.1').allowed).toBe(false);
      expect(guard.checkUrl(new URL('http://10.0.0.1/hook')).allowed).toBe(false);
      expect(guard.checkUrl(new URL('ftp://10.0.0.1/hook')).allowed).toBe(false);
    }
    // More distinct addresses than it keeps: every answer is still right.
    for (let i = 0; i < 3000; i++) {
      const address = `10.${(i >> 8) & 255}.${i & 255}.1`;
      expect(guard.decide(address, 'hooks.internal').allowed).toBe(true);
      expect(guard.decide(address, 'x.example').allowed).toBe(false);
    }
    expect(guard.decide('8.8.8.8')).toEqual({ allowed: true });
  });

  it('allowlisted CIDRs and hosts let private addresses through, but never the metadata address', () => {
    const guard = new SsrfGuard({ allowCidrs: ['10.0.0.0/8', '169.254.0.0/16', 'fd00::/8', '127.0.0.1'], allowHosts: ['hooks.internal', 'metadata.internal'] });
    expect(guard.decide('10.9.8.7')).toEqual({ allowed: true });
    expect(guard.decide('127.0.0.1')).toEqual({ allowed: true });
    expect(guard.decide('127.0.0.2').allowed).toBe(false);
    expect(guard.decide('169.254.1.1')).toEqual({ allowed: true });
    expect(guard.decide('192.168.0.1', 'hooks.internal')).toEqual({ allowed: true });
    expect(guard.decide('192.168.0.1', 'HOOKS.internal')).toEqual({ allowed: true });
    expect(guard.decide('192.168.0.1', 'other.internal').allowed).toBe(false);
    expect(guard.decide('169.254.169.254').allowed).toBe(false);
    expect(guard.decide('169.254.169.254', 'metadata.internal').allowed).toBe(false);
    expect(guard.decide('fd00:ec2::254').allowed).toBe(false);
    expect(guard.decide('fd00:ec2::254', 'metadata.internal').allowed).toBe(false);
  });

  it('checks IP literals in URLs (they never go through DNS) and the scheme', () => {
    expect(strict.checkUrl(new URL('http://169.254.169.254/latest/meta-data')).allowed).toBe(false);
    expect(strict.checkUrl(new URL('http://[::1]:8080/')).allowed).toBe(false);
    expect(strict.checkUrl(new URL('http://[::ffff:7f00:1]/')).allowed).toBe(false);
    expect(strict.checkUrl(new URL('http://10.0.0.1/')).allowed).toBe(false);
    expect(strict.checkUrl(new URL('ftp://example.com/')).allowed).toBe(false);
    expect(strict.checkUrl(new URL('https://example.com/hook')).allowed).toBe(true);
  });

  it('the connect-time lookup refuses a name that resolves to loopback, unless allowlisted', async () => {
    const refused = await lookup(strict, 'localhost');
    expect(refused.err).toBeInstanceOf(AddressRefusedError);
    expect(refused.err?.message).toMatch(/loopback/);
    expect((await lookup(strict, 'localhost', true)).err).toBeInstanceOf(AddressRefusedError);

    const byHost = await lookup(new SsrfGuard({ allowHosts: ['localhost'] }), 'localhost');
    expect(byHost.err).toBeNull();
    const byCidr = await lookup(new SsrfGuard({ allowCidrs: ['127.0.0.0/8', '::1/128'] }), 'localhost', true);
    expect(byCidr.err).toBeNull();
    expect(Array.isArray(byCidr.address)).toBe(true);
  });

  it.each([
    ['::a9fe:a9fe', 'metadata'],
    ['::169.254.169.254', 'metadata'],
    ['::ffff:0:a9fe:a9fe', 'metadata'],
    ['::ffff:0:169.254.169.254', 'metadata'],
    ['2002:a9fe:a9fe::1', 'metadata'],
    ['64:ff9b::a9fe:a9fe', 'metadata'],
    ['64:ff9b::169.254.169.254', 'metadata'],
    ['64:ff9b:1:a9fe:a9:fe00::', 'metadata'],
    ['2001:0:a9fe:a9fe::1', 'metadata'],
    ['2001:0:4136:e378:8000:63bf:5601:5601', 'metadata'],
    ['::7f00:1', 'ipv4-compatible'],
    ['::127.0.0.1', 'ipv4-compatible'],
    ['::a00:1', 'ipv4-compatible'],
    ['::ffff:0:7f00:1', 'ipv4-translated'],
    ['64:ff9b::a00:1', 'nat64'],
    ['64:ff9b:1::1', 'nat64'],
    ['2002:7f00:1::1', '6to4'],
    ['2002:808:808::1', '6to4'],
    ['2001:0:1:2::1', 'teredo'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:a9fe:a9fe', 'metadata'],
  ])('refuses %s, an IPv6 address embedding an IPv4 one (%s)', (address, reason) => {
    const decision = strict.decide(address);
    expect(decision.allowed).toBe(false);
    if (!decision.allowed) expect(decision.reason).toContain(reason);
  });

  it('a loopback allowlist does not open the IPv4-embedding forms of loopback; nothing opens the metadata address in any form', () => {
    const local = new SsrfGuard({ allowCidrs: ['127.0.0.1/32', '::1/128'] });
    expect(local.decide('127.0.0.1')).toEqual({ allowed: true });
    expect(local.decide('::1')).toEqual({ allowed: true });
    for (const a of ['::7f00:1', '::ffff:0:7f00:1', '2002:7f00:1::1', '64:ff9b::7f00:1']) expect(local.decide(a).allowed, a).toBe(false);
    const wide = new SsrfGuard({ allowCidrs: ['::/96', '::ffff:0:0:0/96', '2002::/16', '2001::/32', '64:ff9b::/96'] });
    expect(wide.decide('::a00:1')).toEqual({ allowed: true });
    for (const a of ['::a9fe:a9fe', '::ffff:0:a9fe:a9fe', '2002:a9fe:a9fe::1', '64:ff9b::a9fe:a9fe', '2001:0:a9fe:a9fe::1']) {
      expect(wide.decide(a).allowed, a).toBe(false);
    }
  });

  it.each(['[::a9fe:a9fe]', '[::ffff:0:a9fe:a9fe]', '[2002:a9fe:a9fe::1]', '[::7f00:1]', '[64:ff9b::a9fe:a9fe]'])('checkUrl refuses the literal %s', (host) => {
    expect(strict.checkUrl(new URL(`http://${host}/hook`)).allowed).toBe(false);
    expect(new SsrfGuard({ allowCidrs: ['127.0.0.0/8'] }).checkUrl(new URL(`https://${host}:8443/hook`)).allowed).toBe(false);
  });

  it('the connect-time lookup refuses a name that resolves to an IPv4-embedding address', async () => {
    const zone: Record<string, string> = {
      'metadata-compat.example': '::a9fe:a9fe',
      'metadata-translated.example': '::ffff:0:a9fe:a9fe',
      'metadata-6to4.example': '2002:a9fe:a9fe::1',
      'loopback-compat.example': '::7f00:1',
    };
    const guard = new SsrfGuard(
      { allowCidrs: ['127.0.0.1/32'] },
      { resolve: (hostname, _options, callback) => callback(null, [{ address: zone[hostname] ?? '93.184.216.34', family: 6 }]) },
    );
    for (const host of Object.keys(zone)) {
      const result = await lookup(guard, host);
      expect(result.err, host).toBeInstanceOf(AddressRefusedError);
    }
    expect((await lookup(guard, 'public.example')).err).toBeNull();
  });

  it('include_secrets receivers: https, or an allowlisted loopback receiver over http; never a user name or password', () => {
    const local = new SsrfGuard({ allowCidrs: ['127.0.0.1/32', '::1/128'], allowHosts: ['localhost'] });
    expect(local.checkSecretsReceiver(new URL('https://hooks.example.com/x'))).toEqual({ allowed: true });
    expect(local.checkSecretsReceiver(new URL('http://127.0.0.1:8080/x'))).toEqual({ allowed: true });
    expect(local.checkSecretsReceiver(new URL('http://[::1]:8080/x'))).toEqual({ allowed: true });
    expect(local.checkSecretsReceiver(new URL('http://localhost:8080/x'))).toEqual({ allowed: true });
    const refused = local.checkSecretsReceiver(new URL('http://hooks.example.com/x'));
    expect(refused.allowed).toBe(false);
    if (!refused.allowed) expect(refused.reason).toMatch(/https/);
    expect(local.checkSecretsReceiver(new URL('http://127.0.0.2/x')).allowed).toBe(false); // loopback, not allowlisted
    expect(strict.checkSecretsReceiver(new URL('http://127.0.0.1:8080/x')).allowed).toBe(false);
    expect(local.checkSecretsReceiver(new URL('https://u:p@hooks.example.com/x')).allowed).toBe(false);
  });

  it('refuses a bad allowlist entry at construction', () => {
    expect(() => new SsrfGuard({ allowCidrs: ['not-a-cidr'] })).toThrow(/CIDR/);
  });
});
