/**
 * Pluggable indicator lookup (asset inventory, threat intel, …) from CSV.
 *
 * CSV shape: a header row whose first column is `indicator`; every other
 * column is an attribute name (dotted names allowed, e.g. `asset.owner`,
 * `threat.list`). Each row's indicator is one of
 * - an IP address (v4 or v6), matched against source/destination/host IP;
 * - an IPv4 or IPv6 CIDR block (`203.0.113.0/24`), same entities, longest
 *   prefix wins;
 * - anything else: a name matched case-insensitively against user.name,
 *   user.target.name, host.name, source/destination domain, url.domain and
 *   dns.question.name (a domain also matches its subdomains).
 *
 * A match adds `"<entity>.<attribute>": value` to the event's `enrichment`,
 * e.g. `source.asset.owner`, `dns.question.threat.list`. Empty cells are
 * skipped.
 *
 * ```csv
 * indicator,asset.owner,asset.criticality,threat.list
 * 10.0.0.5,alice,high,
 * 203.0.113.0/24,,,known-scanners
 * evil.example,,,malware-c2
 * ```
 */
import type { EnrichedEvent } from "../shared/contracts/mod.ts";
import { canonicalIp, ipv6Groups } from "./ip.ts";

type Attrs = [string, string][];

/** Splits one CSV line (RFC 4180 quoting) into cells. */
function csvCells(line: string): string[] {
  const cells: string[] = [];
  let i = 0;
  const n = line.length;
  while (i <= n) {
    if (line.charCodeAt(i) === 34) {
      let value = "";
      let j = i + 1;
      for (;;) {
        const q = line.indexOf('"', j);
        if (q < 0) throw new Error("unterminated quoted cell");
        value += line.slice(j, q);
        if (line.charCodeAt(q + 1) === 34) {
          value += '"';
          j = q + 2;
          continue;
        }
        j = q + 1;
        break;
      }
      cells.push(value);
      i = j + 1;
    } else {
      let c = line.indexOf(",", i);
      if (c < 0) c = n;
      cells.push(line.slice(i, c).trim());
      i = c + 1;
    }
  }
  return cells;
}

function v4ToInt(ip: string): number {
  const p = ip.split(".");
  return ((+p[0] << 24) | (+p[1] << 16) | (+p[2] << 8) | +p[3]) >>> 0;
}

/**
 * Key of the IPv6 network of `bits` prefix bits containing `groups`: the
 * masked groups in hex. Keys are compared within one prefix length only.
 */
function v6NetKey(groups: readonly number[], bits: number): string {
  const full = bits >> 4;
  let key = "";
  for (let i = 0; i < full; i++) key += `${groups[i].toString(16)}:`;
  const rest = bits & 15;
  if (rest !== 0) {
    key += (groups[full] & (0xffff << (16 - rest)) & 0xffff).toString(16);
  }
  return key;
}

/** Indicators loaded from one or more CSV files. */
export class IndicatorLookup {
  readonly #ips = new Map<string, Attrs>();
  /** IPv4 CIDRs: prefix length → network → attributes. */
  readonly #v4 = new Map<number, Map<number, Attrs>>();
  #v4Lengths: number[] = [];
  /** IPv6 CIDRs: prefix length → network key → attributes. */
  readonly #v6 = new Map<number, Map<string, Attrs>>();
  #v6Lengths: number[] = [];
  readonly #names = new Map<string, Attrs>();
  /** Number of indicators loaded. */
  size = 0;

  /**
   * Adds the rows of a CSV text. `source` names it in errors, which say the
   * line: `assets.csv line 3: bad CIDR '10.0.0.0/33'`.
   */
  addCsv(text: string, source = "lookup"): this {
    const lines = text.split(/\r?\n/);
    const header = csvCells(lines[0] ?? "");
    if (header[0]?.toLowerCase() !== "indicator" || header.length < 2) {
      throw new Error(
        `${source} line 1: expected a header 'indicator,<attribute>,…', got ${
          JSON.stringify(lines[0] ?? "")
        }`,
      );
    }
    for (let n = 1; n < lines.length; n++) {
      const line = lines[n];
      if (line.trim() === "" || line.startsWith("#")) continue;
      let cells: string[];
      try {
        cells = csvCells(line);
      } catch (e) {
        throw new Error(`${source} line ${n + 1}: ${(e as Error).message}`);
      }
      const indicator = cells[0];
      if (!indicator) {
        throw new Error(`${source} line ${n + 1}: empty indicator`);
      }
      const attrs: Attrs = [];
      for (let c = 1; c < header.length && c < cells.length; c++) {
        if (cells[c] !== "") attrs.push([header[c], cells[c]]);
      }
      const slash = indicator.indexOf("/");
      if (slash > 0) {
        this.#addCidr(indicator, slash, attrs, `${source} line ${n + 1}`);
      } else {
        const ip = canonicalIp(indicator);
        if (ip !== null) this.#ips.set(ip, attrs);
        else this.#names.set(indicator.toLowerCase(), attrs);
      }
      this.size++;
    }
    return this;
  }

  #addCidr(text: string, slash: number, attrs: Attrs, where: string): void {
    const ip = canonicalIp(text.slice(0, slash));
    let bits = Number(text.slice(slash + 1));
    const v6 = ip !== null && ip.indexOf(":") >= 0;
    // An IPv4-mapped block (::ffff:10.0.0.0/104) canonicalizes to IPv4, as
    // the addresses it is matched against do: its prefix counts 96 bits less.
    if (ip !== null && !v6 && text.lastIndexOf(":", slash) >= 0) bits -= 96;
    if (
      ip === null || !Number.isInteger(bits) || bits < 0 ||
      bits > (v6 ? 128 : 32)
    ) {
      throw new Error(`${where}: bad CIDR '${text}'`);
    }
    if (v6) {
      let table = this.#v6.get(bits);
      if (table === undefined) {
        table = new Map();
        this.#v6.set(bits, table);
        this.#v6Lengths = [...this.#v6.keys()].sort((a, b) => b - a);
      }
      table.set(v6NetKey(ipv6Groups(ip)!, bits), attrs);
      return;
    }
    const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
    let table = this.#v4.get(bits);
    if (table === undefined) {
      table = new Map();
      this.#v4.set(bits, table);
      this.#v4Lengths = [...this.#v4.keys()].sort((a, b) => b - a);
    }
    table.set((v4ToInt(ip) & mask) >>> 0, attrs);
  }

  #ip(ip: string): Attrs | undefined {
    const exact = this.#ips.get(ip);
    if (exact !== undefined) return exact;
    if (ip.indexOf(":") < 0) {
      if (this.#v4Lengths.length === 0) return undefined;
      const v = v4ToInt(ip);
      for (const bits of this.#v4Lengths) {
        const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
        const hit = this.#v4.get(bits)!.get((v & mask) >>> 0);
        if (hit !== undefined) return hit;
      }
      return undefined;
    }
    if (this.#v6Lengths.length === 0) return undefined;
    const groups = ipv6Groups(ip);
    if (groups === null) return undefined;
    // Longest prefix first; one hash lookup per prefix length in use.
    for (const bits of this.#v6Lengths) {
      const hit = this.#v6.get(bits)!.get(v6NetKey(groups, bits));
      if (hit !== undefined) return hit;
    }
    return undefined;
  }

  #name(name: string, domain: boolean): Attrs | undefined {
    let n = name.toLowerCase();
    const hit = this.#names.get(n);
    if (hit !== undefined || !domain) return hit;
    // A listed domain covers its subdomains.
    for (let dot = n.indexOf("."); dot >= 0; dot = n.indexOf(".")) {
      n = n.slice(dot + 1);
      const h = this.#names.get(n);
      if (h !== undefined) return h;
    }
    return undefined;
  }

  /** Adds the attributes of every matching indicator to `ev.enrichment`. */
  enrich(ev: EnrichedEvent): void {
    if (ev.source?.ip) put(ev, "source", this.#ip(ev.source.ip));
    if (ev.destination?.ip) put(ev, "destination", this.#ip(ev.destination.ip));
    if (ev.host?.ip) put(ev, "host", this.#ip(ev.host.ip));
    if (this.#names.size > 0) {
      if (ev.user?.name) put(ev, "user", this.#name(ev.user.name, false));
      if (ev.user?.target?.name) {
        put(ev, "user.target", this.#name(ev.user.target.name, false));
      }
      if (ev.host?.name) put(ev, "host", this.#name(ev.host.name, false));
      if (ev.source?.domain) {
        put(ev, "source", this.#name(ev.source.domain, true));
      }
      if (ev.destination?.domain) {
        put(ev, "destination", this.#name(ev.destination.domain, true));
      }
      if (ev.url?.domain) put(ev, "url", this.#name(ev.url.domain, true));
      if (ev.dns?.question?.name) {
        put(ev, "dns.question", this.#name(ev.dns.question.name, true));
      }
    }
  }
}

function put(
  ev: EnrichedEvent,
  prefix: string,
  attrs: Attrs | undefined,
): void {
  if (attrs === undefined) return;
  const out = (ev.enrichment ??= {});
  for (const [k, v] of attrs) out[`${prefix}.${k}`] = v;
}
