// The client address that login limits count by.
import { isIP, isIPv4 } from 'node:net';

/**
 * The address a trusted reverse proxy appended to X-Forwarded-For: the RIGHTMOST entry. Entries to
 * its left were written by the client (or by proxies we do not know) and can be anything. Several
 * X-Forwarded-For headers arrive joined with commas, in order, so the rightmost is still the one
 * our proxy added. Answers undefined when the header is missing or its last entry is not an IP.
 */
export function forwardedAddress(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const last = header.slice(header.lastIndexOf(',') + 1).trim();
  // "[2001:db8::1]:443" and "203.0.113.7:443" (some proxies add the port).
  const bare = /^\[([^\]]+)\](?::\d+)?$/.exec(last)?.[1] ?? (/^(\d+\.\d+\.\d+\.\d+):\d+$/.exec(last)?.[1] || last);
  return isIP(bare) ? bare : undefined;
}

/**
 * The bucket of an address for per-address limits: an IPv4 address itself (also when written as
 * IPv4-mapped IPv6), and an IPv6 address's /64 — one host or one site usually holds a whole /64,
 * so counting single IPv6 addresses would let one machine rotate through 2^64 of them.
 */
export function addressBucket(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (mapped && isIPv4(mapped)) return mapped;
  if (isIP(address) !== 6) return address;
  const groups = expandIPv6(address.split('%')[0]!);
  return groups ? `${groups.slice(0, 4).join(':')}::/64` : address;
}

function expandIPv6(address: string): string[] | null {
  let text = address.toLowerCase();
  // An embedded IPv4 tail ("::1.2.3.4") as two groups.
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = text.slice(0, v4.index) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const fill = tail === undefined ? 0 : 8 - left.length - right.length;
  const groups = [...left, ...Array<string>(fill).fill('0'), ...right];
  if (groups.length !== 8) return null;
  return groups.map((g) => (parseInt(g, 16) || 0).toString(16));
}
