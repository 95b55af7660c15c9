/**
 * IP address validation, canonical text form and address class. Hand-written
 * scanners instead of regexes: every event with an address goes through here.
 */

/** Address class of an IP, as in `source.ip_class`. */
export type IpClass =
  | "private"
  | "loopback"
  | "link_local"
  | "multicast"
  | "reserved"
  | "public";

// Scratch for the four octets of the last parsed IPv4 (no per-call allocation).
const v4 = [0, 0, 0, 0];
// Scratch for the eight groups of the last parsed IPv6.
const v6 = [0, 0, 0, 0, 0, 0, 0, 0];

/**
 * Parses dotted-quad IPv4 from `s[start, end)` into the scratch octets.
 * Returns 0 when invalid, 1 when valid and already canonical, 2 when valid
 * but written with leading zeros.
 */
function scanIpv4(s: string, start: number, end: number): number {
  let part = 0;
  let value = 0;
  let digits = 0;
  let canonical = 1;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) { // '.'
      if (digits === 0 || part === 3) return 0;
      v4[part++] = value;
      value = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      if (digits === 1 && value === 0) canonical = 2;
      value = value * 10 + (c - 48);
      if (++digits > 3 || value > 255) return 0;
    } else return 0;
  }
  if (part !== 3 || digits === 0) return 0;
  v4[3] = value;
  return canonical;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** Parses IPv6 text from `s[start, end)` into the scratch groups; false when invalid. */
function scanIpv6(s: string, start: number, end: number): boolean {
  let n = 0; // groups written
  let gap = -1; // index in v6 where "::" stood
  let i = start;
  if (end - start < 2) return false;
  if (s.charCodeAt(i) === 58) { // leading "::"
    if (s.charCodeAt(i + 1) !== 58) return false;
    gap = 0;
    i += 2;
    if (i === end) {
      for (let k = 0; k < 8; k++) v6[k] = 0;
      return true;
    }
  }
  while (i < end) {
    // One group, or an embedded IPv4 as the last 32 bits.
    let j = i;
    let value = 0;
    while (j < end) {
      const h = hexValue(s.charCodeAt(j));
      if (h < 0) break;
      value = value * 16 + h;
      j++;
    }
    const len = j - i;
    if (j < end && s.charCodeAt(j) === 46) { // '.': embedded IPv4
      if (n > 6 || scanIpv4(s, i, end) !== 1) return false;
      v6[n++] = (v4[0] << 8) | v4[1];
      v6[n++] = (v4[2] << 8) | v4[3];
      i = end;
      break;
    }
    if (len === 0 || len > 4 || n === 8) return false;
    v6[n++] = value;
    if (j === end) {
      i = end;
      break;
    }
    if (s.charCodeAt(j) !== 58) return false;
    if (j + 1 < end && s.charCodeAt(j + 1) === 58) {
      if (gap >= 0) return false;
      gap = n;
      i = j + 2;
      if (i === end) break;
    } else {
      i = j + 1;
      if (i === end) return false; // trailing single ':'
    }
  }
  if (gap < 0) return n === 8;
  if (n >= 8) return false;
  // Shift the groups after the gap to the end and zero-fill the gap.
  const tail = n - gap;
  for (let k = 0; k < tail; k++) v6[7 - k] = v6[n - 1 - k];
  for (let k = gap; k < 8 - tail; k++) v6[k] = 0;
  return true;
}

/** RFC 5952 text of the scratch groups (lowercase, longest zero run as "::"). */
function formatIpv6(): string {
  // (IPv4-mapped addresses never get here: canonicalIp writes them dotted.)
  let bestStart = -1;
  let bestLen = 1; // a single zero group is not compressed
  for (let k = 0; k < 8;) {
    if (v6[k] !== 0) {
      k++;
      continue;
    }
    let e = k;
    while (e < 8 && v6[e] === 0) e++;
    if (e - k > bestLen) {
      bestStart = k;
      bestLen = e - k;
    }
    k = e;
  }
  let out = "";
  for (let k = 0; k < 8; k++) {
    if (k === bestStart) {
      out += "::";
      k += bestLen - 1;
      continue;
    }
    if (out.length > 0 && !out.endsWith(":")) out += ":";
    out += v6[k].toString(16);
  }
  return out;
}

/**
 * Validates an IPv4 or IPv6 address and returns it in canonical text form
 * (IPv4 without leading zeros; IPv6 per RFC 5952, except that IPv4-mapped
 * `::ffff:a.b.c.d` becomes plain `a.b.c.d`), or null when `text` is not an
 * address. Brackets (`[2001:db8::1]`) and an IPv6 zone (`%eth0`) are
 * dropped.
 */
export function canonicalIp(text: string): string | null {
  const len = text.length;
  if (len < 2 || len > 64) return null;
  const c0 = text.charCodeAt(0);
  if (text.indexOf(":") < 0) {
    if (c0 < 48 || c0 > 57) return null;
    const r = scanIpv4(text, 0, len);
    lastFamily = r === 0 ? 0 : 4;
    if (r === 1) return text;
    if (r === 2) return `${v4[0]}.${v4[1]}.${v4[2]}.${v4[3]}`;
    return null;
  }
  let start = 0;
  let end = len;
  if (c0 === 91) { // '['
    const close = text.indexOf("]");
    if (close < 0) return null;
    start = 1;
    end = close;
  }
  const zone = text.indexOf("%", start);
  if (zone >= 0 && zone < end) end = zone;
  if (!scanIpv6(text, start, end)) {
    lastFamily = 0;
    return null;
  }
  if (
    v6[5] === 0xffff && v6[4] === 0 && v6[3] === 0 && v6[2] === 0 &&
    v6[1] === 0 && v6[0] === 0
  ) {
    // IPv4-mapped (::ffff:203.0.113.9): the same host as 203.0.113.9, so it
    // gets the same text; otherwise lookups, |cidr rules on IPv4 ranges and
    // correlations keyed by IP would see two addresses.
    v4[0] = v6[6] >> 8;
    v4[1] = v6[6] & 255;
    v4[2] = v6[7] >> 8;
    v4[3] = v6[7] & 255;
    lastFamily = 4;
    return `${v4[0]}.${v4[1]}.${v4[2]}.${v4[3]}`;
  }
  lastFamily = 6;
  return formatIpv6();
}

/**
 * The eight 16-bit groups of an IPv6 address (no brackets or zone), or null.
 * The array is scratch, overwritten by the next call into this module: read
 * it right away.
 */
export function ipv6Groups(text: string): readonly number[] | null {
  return scanIpv6(text, 0, text.length) ? v6 : null;
}

// Family (4 or 6, 0: invalid) of the last address canonicalIp scanned; its
// octets or groups are still in the scratch arrays.
let lastFamily = 0;

/**
 * Class of the address the last successful {@link canonicalIp} call
 * returned, from the scratch it left behind (no second scan). Call it right
 * after canonicalIp.
 */
export function lastIpClass(): IpClass {
  if (lastFamily === 4) return classifyV4(v4[0], v4[1], v4[2]);
  if (lastFamily === 6) return classifyV6();
  return "reserved";
}

function classifyV4(a: number, b: number, c: number): IpClass {
  if (a === 10) return "private";
  if (a === 172 && b >= 16 && b <= 31) return "private";
  if (a === 192 && b === 168) return "private";
  if (a === 100 && b >= 64 && b <= 127) return "private"; // carrier-grade NAT
  if (a === 127) return "loopback";
  if (a === 169 && b === 254) return "link_local";
  if (a >= 224 && a <= 239) return "multicast";
  if (a === 0 || a >= 240) return "reserved";
  if (a === 192 && b === 0 && c === 0) return "reserved"; // IETF protocol assignments
  if (a === 198 && (b === 18 || b === 19)) return "reserved"; // benchmarking
  // The documentation ranges (192.0.2/24, 198.51.100/24, 203.0.113/24) stand
  // for Internet addresses in examples and test traffic, so they are public.
  return "public";
}

/** Address class of a canonical IP (as returned by {@link canonicalIp}). */
export function ipClass(ip: string): IpClass {
  if (ip.indexOf(":") < 0) {
    if (scanIpv4(ip, 0, ip.length) === 0) return "reserved";
    return classifyV4(v4[0], v4[1], v4[2]);
  }
  if (!scanIpv6(ip, 0, ip.length)) return "reserved";
  return classifyV6();
}

/** Class of the IPv6 address in the scratch groups. */
function classifyV6(): IpClass {
  const g0 = v6[0];
  if (
    g0 === 0 && v6[1] === 0 && v6[2] === 0 && v6[3] === 0 && v6[4] === 0
  ) {
    if (v6[5] === 0xffff) {
      return classifyV4(v6[6] >> 8, v6[6] & 255, v6[7] >> 8);
    }
    if (v6[5] === 0 && v6[6] === 0) {
      if (v6[7] === 1) return "loopback";
      return "reserved"; // unspecified and IPv4-compatible
    }
  }
  if ((g0 & 0xfe00) === 0xfc00) return "private"; // unique local fc00::/7
  if ((g0 & 0xffc0) === 0xfe80) return "link_local";
  if ((g0 & 0xff00) === 0xff00) return "multicast";
  // Global unicast 2000::/3 (documentation 2001:db8::/32 included, as for IPv4).
  if ((g0 & 0xe000) === 0x2000) return "public";
  return "reserved";
}
