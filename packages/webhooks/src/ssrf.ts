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
  // Addresses that embed an IPv4 one (which may be private, loopback or the metadata address).
  ['::', 96, 'ipv6', 'ipv4-compatible (embeds an IPv4 address)'],
  ['::ffff:0:0:0', 96, 'ipv6', 'ipv4-translated (embeds an IPv4 address)'],
  ['64:ff9b::', 96, 'ipv6', 'nat64 (embeds an IPv4 address)'],
  ['64:ff9b:1::', 48, 'ipv6', 'nat64 (embeds an IPv4 address)'],
  ['2002::', 16, 'ipv6', '6to4 (embeds an IPv4 address)'],
  ['2001::', 32, 'ipv6', 'teredo (embeds an IPv4 address)'],
  ['fc00::', 7, 'ipv6', 'private'],
  ['fe80::', 10, 'ipv6', 'link-local'],
  ['ff00::', 8, 'ipv6', 'multicast'],
];

/** How many decisions a guard keeps (see `SsrfGuard.decide`). */
const DECISIONS_KEPT = 1024;

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** Where deliveries may go: exceptions to the refused ranges (never to the metadata addresses). */
export interface SsrfPolicy {
  /** Host names (exact, case-insensitive) allowed whatever they resolve to, except metadata. Default none. */
  allowHosts?: readonly string[];
  /** CIDRs (e.g. `127.0.0.1/32`, `10.1.0.0/16`, `fd12::/64`) or single addresses allowed. Default none. */
  allowCidrs?: readonly string[];
}

/** Resolves `hostname` to every address it has (the shape of `dns.lookup` with `all: true`). */
export type ResolveAll = (hostname: string, options: LookupOptions, callback: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void) => void;

export type AddressDecision = { allowed: true } | { allowed: false; reason: string };

/** A delivery target resolved (or was written) to an address the policy refuses. */
export class AddressRefusedError extends Error {
  readonly code = 'address_refused';
  constructor(host: string, reason: string) {
    super(`Refused to connect to ${host}: ${reason}`);
    this.name = 'AddressRefusedError';
  }
}

/** The eight 16-bit groups of a valid IPv6 address (`::` expanded, a dotted IPv4 tail as two groups). */
function ipv6Groups(address: string): number[] {
  let text = address.toLowerCase();
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  return [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right];
}

const ipv4Of = (high: number, low: number): string => `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`;

/**
 * The IPv4 addresses an IPv6 one carries: IPv4-compatible `::a.b.c.d`, IPv4-translated
 * `::ffff:0:a.b.c.d`, NAT64 `64:ff9b::a.b.c.d` (and `64:ff9b:1::/48`), 6to4 `2002:AABB:CCDD::`
 * and Teredo `2001:0:<server>:…:<client xor ffff>`. Used to refuse the metadata address
 * whatever wrapping it comes in.
 */
function embeddedIpv4(g: number[]): string[] {
  const [g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0, g6 = 0, g7 = 0] = g;
  const last32 = ipv4Of(g6, g7);
  if (g.slice(0, 6).every((x) => x === 0)) return [last32]; // ::/96
  if (g.slice(0, 4).every((x) => x === 0) && g4 === 0xffff && g5 === 0) return [last32]; // ::ffff:0:0:0/96
  if (g0 === 0x64 && g1 === 0xff9b) {
    // 64:ff9b::/96 (last 32 bits), 64:ff9b:1::/48 (RFC 6052: bits 48–63 and 72–87).
    return g2 === 1 ? [last32, `${g3 >> 8}.${g3 & 0xff}.${g4 & 0xff}.${g5 >> 8}`] : [last32];
  }
  if (g0 === 0x2002) return [ipv4Of(g1, g2)]; // 6to4
  if (g0 === 0x2001 && g1 === 0) return [ipv4Of(g2, g3), ipv4Of(g6 ^ 0xffff, g7 ^ 0xffff)]; // Teredo: server, client
  return [];
}

interface Normalized {
  address: string;
  family: 'ipv4' | 'ipv6';
  /** IPv4 addresses embedded in an IPv6 one (see {@link embeddedIpv4}). */
  embedded: string[];
}

/**
 * `::ffff:10.0.0.1` and `::ffff:a00:1` → `10.0.0.1`, so an IPv4-mapped address cannot dodge
 * the IPv4 ranges; other IPv6 addresses keep the IPv4 addresses they embed beside them.
 */
function normalize(address: string): Normalized | undefined {
  const bare = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  const v = isIP(bare);
  if (v === 4) return { address: bare, family: 'ipv4', embedded: [] };
  if (v !== 6) return undefined;
  const groups = ipv6Groups(bare);
  if (groups.slice(0, 5).every((x) => x === 0) && groups[5] === 0xffff) return { address: ipv4Of(groups[6] ?? 0, groups[7] ?? 0), family: 'ipv4', embedded: [] };
  return { address: bare.toLowerCase(), family: 'ipv6', embedded: embeddedIpv4(groups) };
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
  readonly #resolve: ResolveAll;
  /** Decisions made, by host and address (a line each: neither holds a newline). A decision depends on nothing else, and every delivery to an IP literal asks again. */
  readonly #decided = new Map<string, AddressDecision>();

  /**
   * @param policy the allowlist.
   * @param options.resolve resolves a host name to all its addresses. Default: `dns.lookup`
   *   (`all: true`), the resolver node's http uses; tests hand in a resolver of their own.
   */
  constructor(policy: SsrfPolicy = {}, options: { resolve?: ResolveAll } = {}) {
    this.#resolve = options.resolve ?? ((hostname, lookupOptions, callback) => dnsLookup(hostname, { ...lookupOptions, all: true }, callback));
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
    const key = `${host ?? ''}\n${address}`;
    let decision = this.#decided.get(key);
    if (decision === undefined) {
      decision = Object.freeze(this.#decide(address, host));
      // Bounded: a flood of distinct hosts empties it rather than growing it.
      if (this.#decided.size >= DECISIONS_KEPT) this.#decided.clear();
      this.#decided.set(key, decision);
    }
    return decision;
  }

  #decide(address: string, host: string | undefined): AddressDecision {
    const n = normalize(address);
    if (!n) return { allowed: false, reason: `not an IP address: ${address}` };
    if (this.#metadata.check(n.address, n.family) || n.embedded.some((v4) => this.#metadata.check(v4, 'ipv4'))) {
      return { allowed: false, reason: 'cloud metadata address (always refused)' };
    }
    if (!this.#refused.check(n.address, n.family)) return { allowed: true };
    if (host !== undefined && this.#allowHosts.has(host.toLowerCase())) return { allowed: true };
    if (this.#allowed.check(n.address, n.family)) return { allowed: true };
    const reason = this.#reasons.find(([list]) => list.check(n.address, n.family))?.[1] ?? 'refused range';
    return { allowed: false, reason: `${reason} address (not allowlisted)` };
  }

  /**
   * Whether deliveries that carry opened secrets (`include_secrets`) may go to `url`: only
   * over `https://`, except to a loopback receiver the policy allowlists (local runs). A URL
   * with a user name or password is refused (receivers authenticate us by the signature).
   */
  checkSecretsReceiver(url: URL): AddressDecision {
    if (url.username !== '' || url.password !== '') return { allowed: false, reason: 'a receiver URL must not carry a user name or password' };
    if (url.protocol === 'https:') return { allowed: true };
    const host = url.hostname.toLowerCase();
    const literal = normalize(host);
    const loopbackName = host === 'localhost' || host.endsWith('.localhost');
    const loopback = loopbackName || (literal !== undefined && LOOPBACK.check(literal.address, literal.family));
    if (loopback && this.decide(loopbackName ? '127.0.0.1' : host, host).allowed) return { allowed: true };
    return { allowed: false, reason: 'include_secrets needs an https:// receiver (plain http:// only to an allowlisted loopback receiver)' };
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
    this.#resolve(hostname, options, (err, addresses) => {
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
