import { lookup as dnsLookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/**
 * Server-side request forgery guard for subscribers' endpoints (docs/security.md, docs/notifications.md):
 * an endpoint may not reach the engine's own network (loopback, private, link-local, metadata
 * addresses) unless configuration allows it. Checked when a subscription is written and again on
 * every delivery, against the address actually connected to, so a DNS answer changed later is caught.
 */
export interface UrlPolicy {
  allowPrivate: boolean;
  /** Hosts (names or IP literals, lower case, as in the URL) allowed even on private addresses. */
  allowedHosts: readonly string[];
}

const blocked = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, cloud metadata
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 3], // multicast and reserved, up to 255.255.255.255
] as const)
  blocked.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['ff00::', 8], // multicast
] as const)
  blocked.addSubnet(net, bits, 'ipv6');

/** True for an address no endpoint of a subscriber may have (IPv4-mapped and NAT64 IPv6 read as IPv4). */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return blocked.check(address, 'ipv4');
  if (family !== 6) return true; // not an address at all: refuse rather than guess
  const lower = address.toLowerCase();
  const embedded = /^(?:::ffff:|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (embedded) return blocked.check(embedded[1], 'ipv4');
  if (/^(?:::ffff:|64:ff9b::)/.test(lower)) return true; // hex-written embedded IPv4: refuse
  return blocked.check(lower, 'ipv6');
}

/** The URL's problem before any lookup (scheme, credentials, host), or undefined. */
export function urlShapeProblem(raw: string): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'must be an absolute http(s) URL';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must be an http(s) URL';
  if (url.username || url.password) return 'must not carry credentials';
  if (!url.hostname) return 'must name a host';
  return undefined;
}

export const hostOf = (url: URL) => url.hostname.replace(/^\[|\]$/g, '').toLowerCase();

export type Lookup = (host: string) => Promise<string[]>;
export const systemLookup: Lookup = async (host) => (await dnsLookup(host, { all: true })).map((a) => a.address);

/**
 * The reason an endpoint is refused, or undefined when it may be called: its shape first, then every
 * address its host resolves to (one private address is enough to refuse it).
 */
export async function urlRefusal(raw: string, policy: UrlPolicy, lookup: Lookup = systemLookup) {
  const shape = urlShapeProblem(raw);
  if (shape) return shape;
  const host = hostOf(new URL(raw));
  if (policy.allowPrivate || policy.allowedHosts.includes(host)) return undefined;
  let addresses: string[];
  try {
    addresses = isIP(host) ? [host] : await lookup(host);
  } catch {
    return `host ${host} does not resolve`;
  }
  if (addresses.length === 0) return `host ${host} does not resolve`;
  const bad = addresses.find(isPrivateAddress);
  return bad ? `resolves to a private, loopback or link-local address (${bad})` : undefined;
}
