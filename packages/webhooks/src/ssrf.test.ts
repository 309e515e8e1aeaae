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

  it('refuses a bad allowlist entry at construction', () => {
    expect(() => new SsrfGuard({ allowCidrs: ['not-a-cidr'] })).toThrow(/CIDR/);
  });
});
