/**
 * Offline GeoIP: the country of a public IP address from range tables, as
 * `source.geo.country_iso_code` / `destination.geo.country_iso_code`.
 *
 * Tables are CSV lines `start,end,CC` (inclusive ranges), the layout of the
 * ip-location-db country packages; `start`/`end` are dotted IPv4, IPv6 text
 * or decimal integers (the `-num.csv` variants). The default table is the
 * npm package `@ip-location-db/geo-whois-asn-country` (CC0; RIR WHOIS data),
 * installed with the project's npm dependencies:
 *
 * ```sh
 * sentinel-parser --geoip node_modules/@ip-location-db/geo-whois-asn-country
 * ```
 *
 * The tables hold nested ranges (a /29 assigned inside a /22 of another
 * country); they are flattened on load so that the most specific range
 * wins, then looked up by binary search over typed arrays: no allocation
 * per event. A country the record already carries is never overwritten,
 * and only `public` addresses are looked up, except the documentation
 * ranges (192.0.2/24, 198.51.100/24, 203.0.113/24, 2001:db8::/32), which
 * stand for example traffic and have no country.
 */
import type { EnrichedEvent } from "../shared/contracts/mod.ts";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ipv6Groups } from "./ip.ts";

/** One inclusive range of a table, before flattening. */
interface Range<K> {
  start: K;
  end: K;
  country: number;
}

/** An IPv6 address as a 128-bit integer (exact, for sorting on load). */
type V6 = bigint;

const COUNTRY = /^[A-Za-z]{2}$/;

/** Country-by-address tables for IPv4 and IPv6. */
export class GeoIpTable {
  // IPv4: flattened, sorted, non-overlapping [start, end] with a country.
  #v4Start = new Uint32Array(0);
  #v4End = new Uint32Array(0);
  #v4Country = new Uint16Array(0);
  // IPv6: the same, each address as four 32-bit words (big-endian order).
  #v6Start = new Uint32Array(0);
  #v6End = new Uint32Array(0);
  #v6Country = new Uint16Array(0);
  readonly #codes: string[] = [];
  readonly #codeIndex = new Map<string, number>();
  #pending4: Range<number>[] = [];
  #pending6: Range<V6>[] = [];
  readonly #q = new Uint32Array(4);

  /** IPv4 ranges held (after flattening). */
  get v4Ranges(): number {
    return this.#v4Country.length;
  }

  /** IPv6 ranges held (after flattening). */
  get v6Ranges(): number {
    return this.#v6Country.length;
  }

  /**
   * Adds the ranges of one CSV table (a header line first is skipped).
   * Throws with the line number on a line that is not `start,end,CC` with
   * `start <= end` of one family.
   * Call {@link seal} after the last table.
   */
  addCsv(text: string, source = "geoip"): this {
    let lineNo = 0;
    let first = true;
    let pos = 0;
    const n = text.length;
    while (pos < n) {
      let nl = text.indexOf("\n", pos);
      if (nl < 0) nl = n;
      lineNo++;
      let line = text.slice(pos, nl);
      pos = nl + 1;
      if (line.endsWith("\r")) line = line.slice(0, -1);
      if (line === "" || line.charCodeAt(0) === 35) continue; // blank, '#'
      const c1 = line.indexOf(",");
      const c2 = c1 < 0 ? -1 : line.indexOf(",", c1 + 1);
      const bad = (why: string) =>
        new Error(`${source}:${lineNo}: ${why}: ${JSON.stringify(line)}`);
      if (c1 < 0 || c2 < 0) throw bad("expected start,end,country");
      const a = line.slice(0, c1).trim();
      const b = line.slice(c1 + 1, c2).trim();
      const cc = line.slice(c2 + 1).trim();
      // A header line (`start,end,CC`, `ip_range_start,…`) before the first
      // range: column names, not addresses.
      if (first && family(a) === 0 && /^[A-Za-z_ ]+$/.test(a)) {
        first = false;
        continue;
      }
      first = false;
      if (!COUNTRY.test(cc)) throw bad("country is not a 2-letter code");
      const country = this.#code(cc.toUpperCase());
      const fa = family(a);
      if (fa === 0 || fa !== family(b)) {
        throw bad("start and end are not addresses of one family");
      }
      if (fa === 4 || fa === 40) {
        const s = v4Number(a);
        const e = v4Number(b);
        if (s < 0 || e < 0) throw bad("not an IPv4 address");
        if (s > e) throw bad("start is after end");
        this.#pending4.push({ start: s, end: e, country });
      } else {
        const s = v6Number(a);
        const e = v6Number(b);
        if (s < 0n || e < 0n) throw bad("not an IPv6 address");
        if (s > e) throw bad("start is after end");
        this.#pending6.push({ start: s, end: e, country });
      }
    }
    return this;
  }

  /** Flattens the added ranges into lookup arrays. */
  seal(): this {
    const f4 = flatten(this.#pending4, 0, {
      cmp: (x, y) => x - y,
      succ: (x) => x + 1,
      pred: (x) => x - 1,
    });
    this.#pending4 = [];
    this.#v4Start = Uint32Array.from(f4.map((r) => r.start));
    this.#v4End = Uint32Array.from(f4.map((r) => r.end));
    this.#v4Country = Uint16Array.from(f4.map((r) => r.country));
    const f6 = flatten(this.#pending6, 0n, {
      cmp: (x, y) => (x < y ? -1 : x > y ? 1 : 0),
      succ: (x) => x + 1n,
      pred: (x) => x - 1n,
    });
    this.#pending6 = [];
    this.#v6Start = new Uint32Array(f6.length * 4);
    this.#v6End = new Uint32Array(f6.length * 4);
    this.#v6Country = new Uint16Array(f6.length);
    f6.forEach((r, i) => {
      words(r.start, this.#v6Start, i * 4);
      words(r.end, this.#v6End, i * 4);
      this.#v6Country[i] = r.country;
    });
    return this;
  }

  /** ISO country code of a canonical IP address, or undefined. */
  country(ip: string): string | undefined {
    if (ip.indexOf(":") < 0) {
      const n = v4Number(ip);
      if (n < 0 || isDocumentationV4(n)) return undefined;
      return this.#find4(n);
    }
    const g = ipv6Groups(ip);
    if (g === null) return undefined;
    if (g[0] === 0x2001 && g[1] === 0x0db8) return undefined; // documentation
    const q = this.#q;
    q[0] = ((g[0] << 16) | g[1]) >>> 0;
    q[1] = ((g[2] << 16) | g[3]) >>> 0;
    q[2] = ((g[4] << 16) | g[5]) >>> 0;
    q[3] = ((g[6] << 16) | g[7]) >>> 0;
    return this.#find6(q);
  }

  /**
   * Sets `<endpoint>.geo.country_iso_code` on the event's public source and
   * destination addresses that have no country yet. Returns how many it set.
   */
  enrich(ev: EnrichedEvent): number {
    return this.#enrichEndpoint(ev.source) +
      this.#enrichEndpoint(ev.destination);
  }

  #enrichEndpoint(
    e: EnrichedEvent["source"] | EnrichedEvent["destination"],
  ): number {
    if (
      e === undefined || e.ip === undefined || e.ip_class !== "public" ||
      e.geo?.country_iso_code !== undefined
    ) return 0;
    const cc = this.country(e.ip);
    if (cc === undefined) return 0;
    (e.geo ??= {}).country_iso_code = cc;
    return 1;
  }

  #code(cc: string): number {
    let i = this.#codeIndex.get(cc);
    if (i === undefined) {
      i = this.#codes.length;
      this.#codes.push(cc);
      this.#codeIndex.set(cc, i);
    }
    return i;
  }

  #find4(n: number): string | undefined {
    const starts = this.#v4Start;
    let lo = 0;
    let hi = starts.length - 1;
    // Last range whose start <= n.
    let at = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (starts[mid] <= n) {
        at = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (at < 0 || this.#v4End[at] < n) return undefined;
    return this.#codes[this.#v4Country[at]];
  }

  #find6(q: Uint32Array): string | undefined {
    const starts = this.#v6Start;
    let lo = 0;
    let hi = this.#v6Country.length - 1;
    let at = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (compare6(starts, mid * 4, q) <= 0) {
        at = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (at < 0 || compare6(this.#v6End, at * 4, q) < 0) return undefined;
    return this.#codes[this.#v6Country[at]];
  }
}

/** Compares the address at `arr[off..off+4]` with `q`: <0, 0, >0. */
function compare6(arr: Uint32Array, off: number, q: Uint32Array): number {
  for (let k = 0; k < 4; k++) {
    const d = arr[off + k] - q[k];
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * Flattens possibly nested or overlapping ranges into sorted disjoint ones
 * where the most specific (innermost, else later-starting) range wins;
 * adjacent pieces of one country are merged.
 */
function flatten<K extends number | bigint>(
  ranges: Range<K>[],
  zero: K,
  ops: { cmp(a: K, b: K): number; succ(a: K): K; pred(a: K): K },
): Range<K>[] {
  const { cmp, succ, pred } = ops;
  // Start ascending; at one start the wider range first, so it is outer.
  ranges.sort((a, b) => cmp(a.start, b.start) || cmp(b.end, a.end));
  const out: Range<K>[] = [];
  const emit = (start: K, end: K, country: number) => {
    if (cmp(start, end) > 0) return;
    const last = out[out.length - 1];
    if (
      last !== undefined && last.country === country &&
      cmp(succ(last.end), start) === 0
    ) {
      last.end = end;
      return;
    }
    out.push({ start, end, country });
  };
  const open: Range<K>[] = [];
  let pos = zero; // first address not yet emitted
  const max = (a: K, b: K) => (cmp(a, b) >= 0 ? a : b);
  for (const r of ranges) {
    // Close the open ranges that end before this one starts.
    while (open.length > 0 && cmp(open[open.length - 1].end, r.start) < 0) {
      const t = open.pop()!;
      if (cmp(pos, t.end) <= 0) emit(max(pos, t.start), t.end, t.country);
      pos = max(pos, succ(t.end));
    }
    const outer = open[open.length - 1];
    if (outer !== undefined && cmp(pos, r.start) < 0) {
      emit(max(pos, outer.start), pred(r.start), outer.country);
    }
    pos = max(pos, r.start);
    open.push(r);
  }
  while (open.length > 0) {
    const t = open.pop()!;
    if (cmp(pos, t.end) <= 0) emit(max(pos, t.start), t.end, t.country);
    pos = max(pos, succ(t.end));
  }
  return out;
}

/**
 * 4 (dotted IPv4), 40 (decimal that fits IPv4), 6 (IPv6 text), 60 (decimal
 * beyond IPv4) or 0. A decimal start and end are paired by their table:
 * ip-location-db keeps v4 and v6 in separate files, and a v6 range below
 * 2^32 (::/96) never occurs in them.
 */
function family(s: string): number {
  if (s.indexOf(":") >= 0) return 6;
  if (s.indexOf(".") >= 0) return 4;
  if (!/^\d{1,39}$/.test(s)) return 0;
  return s.length < 10 || (s.length === 10 && s <= "4294967295") ? 40 : 60;
}

/** IPv4 text or decimal as an unsigned 32-bit number; -1 if invalid. */
function v4Number(s: string): number {
  if (s.indexOf(".") < 0) {
    if (!/^\d{1,10}$/.test(s)) return -1;
    const n = Number(s);
    return n <= 0xffffffff ? n : -1;
  }
  let n = 0;
  let octet = -1;
  let parts = 0;
  for (let i = 0; i <= s.length; i++) {
    const c = i < s.length ? s.charCodeAt(i) : 46;
    if (c === 46) {
      if (octet < 0 || octet > 255) return -1;
      n = n * 256 + octet;
      octet = -1;
      parts++;
    } else if (c >= 48 && c <= 57) {
      octet = (octet < 0 ? 0 : octet * 10) + (c - 48);
    } else return -1;
  }
  return parts === 4 ? n : -1;
}

/** IPv6 text or decimal as a 128-bit integer; -1n if invalid. */
function v6Number(s: string): bigint {
  if (s.indexOf(":") < 0) {
    if (!/^\d{1,39}$/.test(s)) return -1n;
    const n = BigInt(s);
    return n < (1n << 128n) ? n : -1n;
  }
  const g = ipv6Groups(s);
  if (g === null) return -1n;
  let n = 0n;
  for (let k = 0; k < 8; k++) n = (n << 16n) | BigInt(g[k]);
  return n;
}

/** Writes a 128-bit integer as four big-endian 32-bit words. */
function words(n: bigint, into: Uint32Array, off: number): void {
  for (let k = 3; k >= 0; k--) {
    into[off + k] = Number(n & 0xffffffffn);
    n >>= 32n;
  }
}

/** 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24 (RFC 5737). */
function isDocumentationV4(n: number): boolean {
  const p = Math.floor(n / 256);
  return p === 0xc00002 || p === 0xc63364 || p === 0xcb0071;
}

/**
 * The table bundled with the project (npm dependency; embedded into the
 * compiled `sentinel-parser`): `--geoip builtin`.
 */
export const BUILTIN_GEOIP = new URL(
  "../../node_modules/@ip-location-db/geo-whois-asn-country",
  import.meta.url,
);

/** Files of the bundled table that a compiled parser embeds. */
export const BUILTIN_GEOIP_FILES = [
  "node_modules/@ip-location-db/geo-whois-asn-country/geo-whois-asn-country-ipv4-num.csv",
  "node_modules/@ip-location-db/geo-whois-asn-country/geo-whois-asn-country-ipv6-num.csv",
  "node_modules/@ip-location-db/geo-whois-asn-country/NRO_LICENSE",
] as const;

/**
 * Loads GeoIP tables from a file or a directory (`builtin`: the bundled
 * table). A directory is read as an
 * ip-location-db package: its `*-num.csv` tables when it has any (the text
 * twins hold the same ranges), else every `*.csv`.
 */
export async function loadGeoIp(path: string): Promise<GeoIpTable> {
  // A file path, not the URL's path: Windows drive letters and
  // percent-escaped spaces would not stat.
  if (path === "builtin") path = fileURLToPath(BUILTIN_GEOIP);
  const table = new GeoIpTable();
  const st = await Deno.stat(path);
  let files: string[];
  if (st.isDirectory) {
    const csv: string[] = [];
    for await (const e of Deno.readDir(path)) {
      if (e.isFile && e.name.endsWith(".csv")) csv.push(join(path, e.name));
    }
    const num = csv.filter((f) => f.endsWith("-num.csv"));
    files = (num.length > 0 ? num : csv).sort();
    if (files.length === 0) throw new Error(`${path}: no .csv tables in it`);
  } else files = [path];
  for (const f of files) table.addCsv(await Deno.readTextFile(f), f);
  return table.seal();
}
