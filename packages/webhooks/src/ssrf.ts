import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { BlockList, isIP } from 'node:net';

/** Cloud metadata addresses: refused always, even when an allowlist would let them through. */
export const METADATA_ADDRESSES = ['169.254.169.254', 'fd00:ec2::254'] as const;

/** Ranges no webhook may reach unless allowlisted: loopback, private, link-local, CGNAT, unspecified, multicast, reserved. */
const REFUSED_RANGES: readonly [string, number, 'ipv4' | 'ipv6', string][] = [
  ['0.0.0.0', 8, 'ipv4', 'unspecified'],
  ['10.0.0.0', 8, 'ipv4', 'private'],
  ['100.64.0.0', 10, 'ipv4', 'cgnat'],
  ['127.0.0.0', 8, 'ipv4', 'loopback'],
  ['169.254.0.0', 16, 'ipv4', 'link-local'],
  ['172.16.0.0', 12, 'ipv4', 'private'],
  ['192.0.0.0', 24, 'ipv4', 'reserved'],
  ['192.168.0.0', 16, 'ipv4', 'private'],
  ['198.18.0.0', 15, 'ipv4', 'reserved'],
  ['224.0.0.0', 4, 'ipv4', 'multicast'],
  ['240.0.0.0', 4, 'ipv4', 'reserved'],
  ['::', 128, 'ipv6', 'unspecified'],
  ['::1', 128, 'ipv6', 'loopback'],
  ['64:ff9b::', 96, 'ipv6', 'nat64'],
  ['fc00::', 7, 'ipv6', 'private'],
  ['fe80::', 10, 'ipv6', 'link-local'],
  ['ff00::', 8, 'ipv6', 'multicast'],
];

/** Where deliveries may go: exceptions to the refused ranges (never to the metadata addresses). */
export interface SsrfPolicy {
  /** Host names (exact, case-insensitive) allowed whatever they resolve to, except metadata. Default none. */
  allowHosts?: readonly string[];
  /** CIDRs (e.g. `127.0.0.1/32`, `10.1.0.0/16`, `fd12::/64`) or single addresses allowed. Default none. */
  allowCidrs?: readonly string[];
}

export type AddressDecision = { allowed: true } | { allowed: false; reason: string };

/** A delivery target resolved (or was written) to an address the policy refuses. */
export class AddressRefusedError extends Error {
  readonly code = 'address_refused';
  constructor(host: string, reason: string) {
    super(`Refused to connect to ${host}: ${reason}`);
    this.name = 'AddressRefusedError';
  }
}

/** `::ffff:10.0.0.1` → `10.0.0.1`, so an IPv4-mapped address cannot dodge the IPv4 ranges. */
function normalize(address: string): { address: string; family: 'ipv4' | 'ipv6' } | undefined {
  const bare = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare);
  if (mapped?.[1]) return { address: mapped[1], family: 'ipv4' };
  const v = isIP(bare);
  if (v === 4) return { address: bare, family: 'ipv4' };
  if (v === 6) return { address: bare.toLowerCase(), family: 'ipv6' };
  return undefined;
}

function parseCidr(list: BlockList, cidr: string): void {
  const [net, bits] = cidr.split('/');
  const n = net === undefined ? undefined : normalize(net);
  if (!n) throw new Error(`Not an address or CIDR: ${cidr}`);
  const prefix = bits === undefined ? (n.family === 'ipv4' ? 32 : 128) : Number(bits);
  list.addSubnet(n.address, prefix, n.family);
}

/** The SSRF guard: decides per resolved address, and gives a DNS `lookup` that enforces the decision at connect time. */
export class SsrfGuard {
  readonly #refused = new BlockList();
  readonly #reasons: [BlockList, string][] = [];
  readonly #metadata = new BlockList();
  readonly #allowed = new BlockList();
  readonly #allowHosts: Set<string>;

  constructor(policy: SsrfPolicy = {}) {
    for (const [net, prefix, family, reason] of REFUSED_RANGES) {
      this.#refused.addSubnet(net, prefix, family);
      const one = new BlockList();
      one.addSubnet(net, prefix, family);
      this.#reasons.push([one, reason]);
    }
    for (const m of METADATA_ADDRESSES) this.#metadata.addAddress(m, isIP(m) === 4 ? 'ipv4' : 'ipv6');
    for (const cidr of policy.allowCidrs ?? []) parseCidr(this.#allowed, cidr);
    this.#allowHosts = new Set((policy.allowHosts ?? []).map((h) => h.toLowerCase()));
  }

  /** Whether a connection to `address` (reached through `host`) is allowed. */
  decide(address: string, host?: string): AddressDecision {
    const n = normalize(address);
    if (!n) return { allowed: false, reason: `not an IP address: ${address}` };
    if (this.#metadata.check(n.address, n.family)) return { allowed: false, reason: 'cloud metadata address (always refused)' };
    if (!this.#refused.check(n.address, n.family)) return { allowed: true };
    if (host !== undefined && this.#allowHosts.has(host.toLowerCase())) return { allowed: true };
    if (this.#allowed.check(n.address, n.family)) return { allowed: true };
    const reason = this.#reasons.find(([list]) => list.check(n.address, n.family))?.[1] ?? 'refused range';
    return { allowed: false, reason: `${reason} address (not allowlisted)` };
  }

  /**
   * Checks a URL before connecting. An IP literal never goes through DNS (Node skips
   * `lookup` for it), so it is decided here; a host name is decided by {@link lookup}.
   */
  checkUrl(url: URL): AddressDecision {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return { allowed: false, reason: `scheme ${url.protocol} not allowed` };
    const host = url.hostname;
    return normalize(host) ? this.decide(host, host) : { allowed: true };
  }

  /**
   * A `dns.lookup` replacement for `http.request({ lookup })`: resolves the host itself and
   * refuses when any of its addresses is refused, so the address checked is the address
   * connected to (no DNS-rebinding window between check and connect).
   */
  readonly lookup = (
    hostname: string,
    options: LookupOptions,
    callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
  ): void => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '');
      for (const a of addresses) {
        const decision = this.decide(a.address, hostname);
        if (!decision.allowed) return callback(new AddressRefusedError(hostname, decision.reason), '');
      }
      if (options.all) return callback(null, addresses);
      const first = addresses[0];
      if (!first) return callback(Object.assign(new Error(`No address for ${hostname}`), { code: 'ENOTFOUND' }), '');
      callback(null, first.address, first.family);
    });
  };
}
