/**
 * Field access. A Sigma field name (`Image`, `source.ip`, `event.outcome`)
 * is resolved once, at rule load, into an accessor: an ordered list of
 * candidate paths into the event, the first present one wins. At match time
 * an {@link EventView} caches each field's value (and its lowercase form)
 * for the current event, so a thousand rules reading `CommandLine` look it
 * up and lowercase it once.
 *
 * `ground_truth` is evaluation-only: no accessor ever reaches it.
 *
 * @module
 */

/** A compiled accessor from an event object to a raw field value. */
export type Accessor = (event: Record<string, unknown>) => unknown;

const BLOCKED_ROOT = "ground_truth";

/** Splits a dotted path; `a.b.c` → ["a","b","c"]. */
function splitPath(path: string): string[] {
  return path.split(".");
}

/**
 * Code reading `src` into `dst`, unwrapping the `{"#text": "4688", …}`
 * that EVTX-to-JSON converters write for attributed elements.
 */
function unwrapCode(dst: string, src: string): string {
  return `${dst} = ${src};\n` +
    `if (${dst} !== null && typeof ${dst} === "object" && !Array.isArray(${dst})) {\n` +
    `  const t = ${dst}["#text"];\n  if (t !== undefined) ${dst} = t;\n}\n`;
}

/**
 * Generated code of its own per accessor: each property read gets its own
 * inline cache, which stays monomorphic over events of one shape. (One
 * shared closure reading `e[key]` for every field sees every key and every
 * object shape, turns megamorphic and takes the slow lookup path on every
 * event.) Keys are embedded as JSON string literals, so a field name can
 * never inject code.
 */
function generate(_name: string, body: string): Accessor {
  // A serial number in a comment keeps sources distinct, so no two
  // accessors share compiled code (and its inline caches) through the
  // compilation cache. Never the field name: rule text must not reach code
  // outside a string literal (U+2028 ends a `//` comment).
  return new Function(
    "e",
    `/* accessor ${++accessorSerial} */\n${body}`,
  ) as Accessor;
}

let accessorSerial = 0;

/**
 * A field name as a JS string literal. JSON.stringify leaves U+2028/U+2029
 * raw (legal in literals since ES2019); escape them anyway so generated
 * code never holds a line terminator taken from rule text.
 */
function q(s: string): string {
  return JSON.stringify(s).replace(
    /[\u2028\u2029]/g,
    (c) => c === "\u2028" ? "\\u2028" : "\\u2029",
  );
}

/** The body of {@link compilePath} for `parts` (returns the value). */
function pathBody(parts: string[]): string {
  if (parts[0] === BLOCKED_ROOT) return "return undefined;";
  if (parts[0] === "fields" && parts.length > 1) {
    const key = parts.slice(1).join(".");
    return `const f = e.fields;\n` +
      `if (f === undefined || f === null) return undefined;\n` +
      `return f[${q(key)}];`;
  }
  if (parts.length === 1) {
    return `let v;\n${unwrapCode("v", `e[${q(parts[0])}]`)}return v;`;
  }
  if (parts.length === 2) {
    return `const o = e[${q(parts[0])}];\n` +
      `if (o === null || typeof o !== "object") return undefined;\n` +
      `let v;\n${unwrapCode("v", `o[${q(parts[1])}]`)}return v;`;
  }
  // Deeper paths also try the flattened remainder at each level
  // (payload["source.ip"]), precomputed: no per-event joins.
  let body = "let c = e, n, v;\n";
  for (let i = 0; i < parts.length; i++) {
    body +=
      `if (c === null || typeof c !== "object" || Array.isArray(c)) return undefined;\n`;
    if (i < parts.length - 1) {
      body += `n = c[${q(parts[i])}];\n` +
        `if (n === undefined) {\n${
          unwrapCode("v", `c[${q(parts.slice(i).join("."))}]`)
        }return v;\n}\nc = n;\n`;
    } else {
      body += `${unwrapCode("v", `c[${q(parts[i])}]`)}return v;\n`;
    }
  }
  return body;
}

/**
 * Compiles one candidate path. Paths address the event object; the special
 * root `fields.` reads the flat string map by its whole dotted key, and a
 * path under `payload.` also tries flattened keys (ECS JSON written as
 * `{"source.ip": ...}`).
 */
export function compilePath(path: string): Accessor {
  return generate(path, pathBody(splitPath(path)));
}

/** Top-level keys of an EnrichedEvent that rules may address directly. */
const ENRICHED_ROOTS = new Set([
  "event_id",
  "received_at",
  "tenant",
  "source_name",
  "transport",
  "ingest_node",
  "format",
  "ts",
  "ts_source",
  "category",
  "action",
  "outcome",
  "severity",
  "host",
  "user",
  "source",
  "destination",
  "network",
  "process",
  "file",
  "dns",
  "url",
  "http",
  "enrichment",
  "fields",
  "payload",
]);

/**
 * The default candidate paths for a Sigma field name that has no explicit
 * mapping: our EnrichedEvent entity (when the root is one of ours), the flat
 * `fields` map, the original JSON payload (ECS), then Windows EVTX JSON
 * EventData and System.
 */
export function defaultCandidates(name: string): string[] {
  const root = name.split(".")[0];
  const out: string[] = [];
  if (ENRICHED_ROOTS.has(root)) out.push(name);
  if (root === "fields" || root === "payload") return out;
  out.push(`fields.${name}`);
  out.push(`payload.${name}`);
  if (!name.includes(".")) {
    out.push(`payload.Event.EventData.${name}`);
    out.push(`payload.Event.System.${name}`);
  }
  return out;
}

/**
 * The default accessor of a plain (undotted) name, generated because it
 * runs for every rule field of every event: fields[name], payload[name],
 * payload.Event.EventData[name], payload.Event.System[name]. Same result as
 * `compileAccessor(defaultCandidates(name))`.
 */
export function compileDefaultAccessor(name: string): Accessor | null {
  const body = defaultBody(name);
  return body === null ? null : generate(name, body);
}

/**
 * The body of {@link compileDefaultAccessor}, null for dotted/entity names.
 * `skip` holds candidate paths already tried (by a mapping): their reads
 * are left out.
 */
function defaultBody(
  name: string,
  skip: ReadonlySet<string> = new Set(),
): string | null {
  if (name.includes(".") || ENRICHED_ROOTS.has(name)) return null;
  const k = q(name);
  const data = skip.has(`payload.Event.EventData.${name}`)
    ? ""
    : `const d = ev.EventData;
if (d !== undefined && d !== null && typeof d === "object") {
${unwrapCode("v", `d[${k}]`)}  if (v !== undefined) return v;
}
`;
  const system = skip.has(`payload.Event.System.${name}`)
    ? ""
    : `const sys = ev.System;
if (sys !== undefined && sys !== null && typeof sys === "object") {
${unwrapCode("v", `sys[${k}]`)}  return v;
}
`;
  return (
    `const f = e.fields;
if (f !== undefined && f !== null) {
  const x = f[${k}];
  if (x !== undefined) return x;
}
const p = e.payload;
if (p === null || typeof p !== "object") return undefined;
let v;
${unwrapCode("v", `p[${k}]`)}if (v !== undefined) return v;
${
      data || system
        ? `const ev = p.Event;
if (ev === undefined || ev === null || typeof ev !== "object") return undefined;
${data}${system}`
        : ""
    }return undefined;`
  );
}

/**
 * The accessor of a mapped name: its mapped paths in order, then the
 * default candidates ({@link mappedCandidates}). For an undotted name the
 * defaults run as the one-pass body of {@link compileDefaultAccessor}
 * (shared reads of payload and payload.Event), so a mapped field absent
 * from the event costs little more than before.
 */
export function compileMappedAccessor(
  mapped: string[],
  name: string,
): Accessor {
  const tail = defaultBody(name, new Set(mapped));
  if (tail === null) return compileAccessor(mappedCandidates(mapped, name));
  const paths = mapped.filter((c) => c.split(".")[0] !== BLOCKED_ROOT);
  let body = "";
  paths.forEach((p, i) => {
    body += `function c${i}(e) {\n${pathBody(splitPath(p))}\n}\n`;
  });
  body += `function d(e) {\n${tail}\n}\nlet v;\n`;
  paths.forEach((_, i) => {
    body += `v = c${i}(e);\nif (v !== undefined) return v;\n`;
  });
  body += "return d(e);";
  return generate(name, body);
}

/**
 * A mapped name's candidates: its mapping first, then the default ones, so
 * a mapping adds places to look and never hides a key the event carries
 * (`EventID` of a flat JSON Windows event is in `fields` and the payload,
 * not under `payload.Event.System`). Duplicates are dropped.
 */
export function mappedCandidates(mapped: string[], name: string): string[] {
  return [...new Set([...mapped, ...defaultCandidates(name)])];
}

/** Builds an accessor trying `candidates` in order (one generated function). */
export function compileAccessor(candidates: string[]): Accessor {
  const paths = candidates.filter((c) => c.split(".")[0] !== BLOCKED_ROOT);
  if (paths.length === 0) return () => undefined;
  if (paths.length === 1) return compilePath(paths[0]);
  // Each candidate becomes an inner function of the generated one.
  let body = "";
  paths.forEach((p, i) => {
    body += `function c${i}(e) {\n${pathBody(splitPath(p))}\n}\n`;
  });
  body += "let v;\n";
  paths.forEach((_, i) => {
    body += `v = c${i}(e);\nif (v !== undefined) return v;\n`;
  });
  body += "return undefined;";
  return generate(paths.join(" | "), body);
}

/**
 * Registry of the fields all loaded rules use. Each distinct Sigma field name
 * gets a slot; an {@link EventView} caches per-event values by slot.
 */
export class FieldTable {
  readonly names: string[] = [];
  readonly accessors: Accessor[] = [];
  readonly #slots = new Map<string, number>();
  readonly #mapping: Map<string, string[]>;

  constructor(mapping: Map<string, string[]> = new Map()) {
    this.#mapping = mapping;
  }

  /** The slot of `name`, creating its accessor on first use. */
  slot(name: string): number {
    let s = this.#slots.get(name);
    if (s !== undefined) return s;
    if (name.split(".")[0] === BLOCKED_ROOT) {
      throw new Error(
        `field ${name} is evaluation-only and never visible to rules`,
      );
    }
    const mapped = this.#mapping.get(name);
    const fast = mapped ? null : compileDefaultAccessor(name);
    s = this.names.length;
    this.names.push(name);
    this.accessors.push(
      fast ??
        (mapped
          ? compileMappedAccessor(mapped, name)
          : compileAccessor(defaultCandidates(name))),
    );
    this.#slots.set(name, s);
    return s;
  }

  /**
   * The slot of the keyword text: the string leaves searched by keyword
   * identifiers (the log line, or the payload's strings and `fields`).
   */
  keywordSlot(): number {
    const key = "\u0000keywords";
    let s = this.#slots.get(key);
    if (s !== undefined) return s;
    s = this.names.length;
    this.names.push(key);
    this.accessors.push(keywordLeavesOf);
    this.#slots.set(key, s);
    return s;
  }

  /** The slot of an explicit event path (no mapping, no fallbacks). */
  pathSlot(path: string): number {
    const key = `\u0000path:${path}`;
    let s = this.#slots.get(key);
    if (s !== undefined) return s;
    s = this.names.length;
    this.names.push(key);
    this.accessors.push(compileAccessor([path]));
    this.#slots.set(key, s);
    return s;
  }

  get size(): number {
    return this.names.length;
  }
}

/**
 * The event being matched, with per-field caches. One instance is reused for
 * every event (reset with {@link EventView.reset}), so matching allocates
 * nothing per rule.
 */
export class EventView {
  event: Record<string, unknown> = {};
  readonly #table: FieldTable;
  #values: unknown[] = [];
  #lower: (string | undefined)[] = [];
  /**
   * Per slot, the last string lowercased and its lowercase form: fields
   * like category, action or a Windows channel repeat from event to event,
   * so most events reuse the same lowercase string (no scan, no
   * allocation, and its hash is already known to the maps it keys).
   */
  #memoRaw: (string | undefined)[] = [];
  #memoLow: (string | undefined)[] = [];
  /** Per slot, the event generation its cached value belongs to. */
  #valueGen = new Int32Array(0);
  #lowerGen = new Int32Array(0);
  #gen = 1;
  #leaves: string[] | undefined = undefined;
  #leavesLower: string[] | undefined = undefined;

  constructor(table: FieldTable) {
    this.#table = table;
  }

  /** Points the view at a new event and drops every cache (O(1)). */
  reset(event: Record<string, unknown>): void {
    this.event = event;
    const n = this.#table.size;
    if (this.#valueGen.length !== n) this.#resize(n);
    this.#gen = (this.#gen + 1) | 0 || 1;
    this.#leaves = undefined;
    this.#leavesLower = undefined;
  }

  #resize(n: number): void {
    this.#values = new Array(n).fill(undefined);
    this.#lower = new Array(n).fill(undefined);
    this.#memoRaw = new Array(n).fill(undefined);
    this.#memoLow = new Array(n).fill(undefined);
    this.#valueGen = new Int32Array(n);
    this.#lowerGen = new Int32Array(n);
  }

  /** Raw value of field `slot` (undefined when absent). */
  get(slot: number): unknown {
    if (this.#valueGen[slot] === this.#gen) return this.#values[slot];
    if (slot >= this.#valueGen.length) this.#resize(this.#table.size);
    const v = this.#table.accessors[slot](this.event);
    this.#values[slot] = v;
    this.#valueGen[slot] = this.#gen;
    return v;
  }

  /** Lowercase string form of a scalar field, undefined for absent/objects. */
  lower(slot: number): string | undefined {
    if (this.#lowerGen[slot] === this.#gen) return this.#lower[slot];
    const v = this.get(slot);
    let s: string | undefined;
    if (typeof v === "string") {
      if (v === this.#memoRaw[slot]) s = this.#memoLow[slot];
      else {
        s = v.toLowerCase();
        this.#memoRaw[slot] = v;
        this.#memoLow[slot] = s;
      }
    } else if (typeof v === "number" || typeof v === "boolean") s = String(v);
    this.#lower[slot] = s;
    this.#lowerGen[slot] = this.#gen;
    return s;
  }

  /**
   * Text searched by keyword identifiers: the original log line, or for JSON
   * payloads the string leaves of the payload, plus the values of `fields`.
   */
  keywordLeaves(): string[] {
    if (this.#leaves !== undefined) return this.#leaves;
    this.#leaves = this.get(this.#table.keywordSlot()) as string[];
    return this.#leaves;
  }

  /** Lowercase {@link keywordLeaves}. */
  keywordLeavesLower(): string[] {
    if (this.#leavesLower === undefined) {
      this.#leavesLower = this.keywordLeaves().map((s) => s.toLowerCase());
    }
    return this.#leavesLower;
  }
}

/** The keyword text leaves of an event. */
function keywordLeavesOf(e: Record<string, unknown>): string[] {
  const out: string[] = [];
  if (typeof e.payload === "string") out.push(e.payload);
  else collectStrings(e.payload, out, 0);
  const f = e.fields;
  if (f && typeof f === "object") {
    for (const v of Object.values(f)) if (typeof v === "string") out.push(v);
  }
  return out;
}

function collectStrings(v: unknown, out: string[], depth: number): void {
  if (depth > 8) return;
  if (typeof v === "string") out.push(v);
  else if (typeof v === "number") out.push(String(v));
  else if (Array.isArray(v)) {
    for (const x of v) collectStrings(x, out, depth + 1);
  } else if (v && typeof v === "object") {
    for (const x of Object.values(v)) collectStrings(x, out, depth + 1);
  }
}
