/**
 * CIDR ranges for the `cidr` modifier, IPv4 and IPv6. Parsed once at rule
 * load; membership is a few integer comparisons.
 *
 * @module
 */

/** A parsed network. */
export interface Cidr {
  /** True when the textual IP `ip` lies in this network. */
  contains(ip: string): boolean;
}

/** Parses dotted IPv4 into an unsigned 32-bit number, or -1. */
export function ipv4ToInt(s: string): number {
  let n = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || part > 255) return -1;
      n = n * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57) {
      part = part * 10 + (c - 48);
      digits++;
      if (digits > 3) return -1;
    } else return -1;
  }
  if (dots !== 3 || digits === 0 || part > 255) return -1;
  return n * 256 + part;
}

/** Parses IPv6 (with `::` and embedded IPv4) into 8 16-bit groups, or null. */
export function ipv6ToGroups(s: string): number[] | null {
  const zone = s.indexOf("%");
  if (zone >= 0) s = s.slice(0, zone);
  if (!s.includes(":")) return null;
  const halves = s.split("::");
  if (halves.length > 2) return null;
  const parseSide = (side: string): number[] | null => {
    if (side === "") return [];
    const out: number[] = [];
    const parts = side.split(":");
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i];
      if (i === parts.length - 1 && p.includes(".")) {
        const v4 = ipv4ToInt(p);
        if (v4 < 0) return null;
        out.push(Math.floor(v4 / 65536), v4 % 65536);
        continue;
      }
      if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return null;
      out.push(parseInt(p, 16));
    }
    return out;
  };
  const left = parseSide(halves[0]);
  const right = halves.length === 2 ? parseSide(halves[1]) : [];
  if (!left || !right) return null;
  if (halves.length === 1) return left.length === 8 ? left : null;
  const fill = 8 - left.length - right.length;
  if (fill < 1) return null;
  return [...left, ...new Array(fill).fill(0), ...right];
}

/** Parses `a.b.c.d/n` or `x::y/n` (a bare address means a host route). */
export function parseCidr(text: string): Cidr {
  const [addr, lenText] = text.trim().split("/");
  const v4 = ipv4ToInt(addr);
  if (v4 >= 0) {
    const len = lenText === undefined ? 32 : Number(lenText);
    if (!Number.isInteger(len) || len < 0 || len > 32) {
      throw new Error(`bad CIDR prefix length in '${text}'`);
    }
    const size = 2 ** (32 - len);
    const base = Math.floor(v4 / size) * size;
    return {
      contains(ip: string) {
        const n = ipv4ToInt(ip);
        return n >= base && n < base + size;
      },
    };
  }
  const g = ipv6ToGroups(addr);
  if (!g) throw new Error(`'${text}' is not a CIDR network`);
  const len = lenText === undefined ? 128 : Number(lenText);
  if (!Number.isInteger(len) || len < 0 || len > 128) {
    throw new Error(`bad CIDR prefix length in '${text}'`);
  }
  return {
    contains(ip: string) {
      if (!ip.includes(":")) return false;
      const h = ipv6ToGroups(ip);
      if (!h) return false;
      let bits = len;
      for (let i = 0; i < 8 && bits > 0; i++) {
        const take = Math.min(16, bits);
        const mask = (0xffff << (16 - take)) & 0xffff;
        if ((h[i] & mask) !== (g[i] & mask)) return false;
        bits -= take;
      }
      return true;
    },
  };
}
