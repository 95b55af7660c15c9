/**
 * Mapping config (field mappings, placeholders) and logsource routing: which
 * rules an event is shown to. Routing is computed once per event as the set
 * of config entries that hold; the rule list for each distinct set is
 * computed once and cached, so per event the cost is a few field reads and
 * one map lookup.
 *
 * @module
 */
import { parse as parseYaml } from "yaml";
import { DEFAULT_MAPPING_YAML } from "./default_mapping.ts";
import type { EventView, FieldTable } from "./fields.ts";
import { type Need, PrefilterPlan } from "./prefilter.ts";

/** A logsource as rules declare it. */
export interface Logsource {
  product?: string;
  category?: string;
  service?: string;
}

/** One routing entry of the config. */
export interface LogsourceEntry {
  when: Record<string, string[] | "*">;
  product: string[];
  category: string[];
  service: string[];
}

/** The parsed mapping config. */
export interface MappingConfig {
  logsources: LogsourceEntry[];
  fieldmappings: Map<string, string[]>;
  placeholders: Map<string, string[]>;
}

/**
 * Prefix of a `when` key naming a rule field instead of an event path:
 * `field:Channel` reads Channel as rules do (its fieldmappings, then the
 * default places), so routing follows the same value a rule's selection
 * sees wherever the event carries it (payload object or parser `fields`).
 */
export const FIELD_KEY = "field:";

/** Top-level keys that mark a YAML document as a mapping config. */
export const MAPPING_KEYS = ["logsources", "fieldmappings", "placeholders"];

function strList(v: unknown, what: string): string[] {
  if (v === undefined || v === null) return [];
  const xs = Array.isArray(v) ? v : [v];
  return xs.map((x) => {
    if (typeof x === "object" && x !== null) {
      throw new Error(`${what}: expected a string or list of strings`);
    }
    return String(x);
  });
}

/** Parses one mapping-config document; throws with a precise reason. */
export function parseMappingDoc(doc: Record<string, unknown>): MappingConfig {
  const out: MappingConfig = {
    logsources: [],
    fieldmappings: new Map(),
    placeholders: new Map(),
  };
  const ls = doc.logsources ?? [];
  if (!Array.isArray(ls)) throw new Error(`logsources must be a list`);
  ls.forEach((e, i) => {
    if (!e || typeof e !== "object") {
      throw new Error(`logsources[${i}] must be a map`);
    }
    const r = e as Record<string, unknown>;
    const when = r.when;
    if (!when || typeof when !== "object" || Array.isArray(when)) {
      throw new Error(`logsources[${i}].when must be a map of field: value`);
    }
    const w: Record<string, string[] | "*"> = {};
    for (const [k, v] of Object.entries(when)) {
      if (k.startsWith(FIELD_KEY)) {
        const name = k.slice(FIELD_KEY.length);
        if (name === "" || name.split(".")[0] === "ground_truth") {
          throw new Error(
            `logsources[${i}].when.${k}: "${FIELD_KEY}" needs a rule field name (not ground_truth)`,
          );
        }
      }
      w[k] = v === "*" ? "*" : strList(v, `logsources[${i}].when.${k}`)
        .map((s) => s.toLowerCase());
    }
    out.logsources.push({
      when: w,
      product: strList(r.product, `logsources[${i}].product`),
      category: strList(r.category, `logsources[${i}].category`),
      service: strList(r.service, `logsources[${i}].service`),
    });
  });
  const fm = doc.fieldmappings ?? {};
  if (typeof fm !== "object" || Array.isArray(fm)) {
    throw new Error(`fieldmappings must be a map`);
  }
  for (const [k, v] of Object.entries(fm as Record<string, unknown>)) {
    out.fieldmappings.set(k, strList(v, `fieldmappings.${k}`));
  }
  const ph = doc.placeholders ?? {};
  if (typeof ph !== "object" || Array.isArray(ph)) {
    throw new Error(`placeholders must be a map`);
  }
  for (const [k, v] of Object.entries(ph as Record<string, unknown>)) {
    out.placeholders.set(k, strList(v, `placeholders.${k}`));
  }
  return out;
}

let defaults: MappingConfig | undefined;

/** The built-in config (parsed once). */
export function defaultMapping(): MappingConfig {
  defaults ??= parseMappingDoc(
    parseYaml(DEFAULT_MAPPING_YAML) as Record<string, unknown>,
  );
  return defaults;
}

/**
 * Merges user config documents over the defaults: routing entries are
 * added, field mappings and placeholders replace the same names. A document
 * with `replace_defaults: true` starts from nothing.
 */
export function mergeMappings(
  docs: Record<string, unknown>[],
): MappingConfig {
  const replace = docs.some((d) => d.replace_defaults === true);
  const base = replace
    ? { logsources: [], fieldmappings: new Map(), placeholders: new Map() }
    : defaultMapping();
  const out: MappingConfig = {
    logsources: [...base.logsources],
    fieldmappings: new Map(base.fieldmappings),
    placeholders: new Map(base.placeholders),
  };
  for (const d of docs) {
    const m = parseMappingDoc(d);
    out.logsources.push(...m.logsources);
    for (const [k, v] of m.fieldmappings) out.fieldmappings.set(k, v);
    for (const [k, v] of m.placeholders) out.placeholders.set(k, v);
  }
  return out;
}

interface CompiledEntry {
  tests: { slot: number; values: Set<string> | null }[];
  product: string[];
  category: string[];
  service: string[];
}

/** Something with a logsource that the router selects. */
export interface Routable {
  logsource: Logsource;
  need: Need | null;
  index: number;
}

/**
 * Chooses, per event, the rules whose logsource the event belongs to.
 */
export class LogsourceRouter<R extends Routable> {
  readonly #entries: CompiledEntry[];
  readonly #rules: R[];
  readonly #cache = new Map<string, PrefilterPlan<R>>();
  readonly #byFirst = new Map<number, Map<string, number[]>>();
  readonly #wild: number[] = [];
  #firstSlots: number[] = [];
  #firstMaps: Map<string, number[]>[] = [];
  readonly #hits: number[] = [];
  readonly #byHash = new Map<
    number,
    { hits: number[]; plan: PrefilterPlan<R> }[]
  >();

  constructor(config: MappingConfig, fields: FieldTable, rules: R[]) {
    this.#rules = rules;
    this.#entries = config.logsources.map((e) => ({
      tests: Object.entries(e.when).map(([path, vals]) => ({
        // A rule field's slot is shared with the rules reading it: its
        // value is read once per event for routing and matching alike.
        slot: path.startsWith(FIELD_KEY)
          ? fields.slot(path.slice(FIELD_KEY.length))
          : fields.pathSlot(path),
        values: vals === "*" ? null : new Set(vals),
      })),
      product: e.product.map((s) => s.toLowerCase()),
      category: e.category.map((s) => s.toLowerCase()),
      service: e.service.map((s) => s.toLowerCase()),
    }));
    this.#entries.forEach((e, i) => {
      const first = e.tests[0];
      if (!first || first.values === null) {
        this.#wild.push(i);
        return;
      }
      let m = this.#byFirst.get(first.slot);
      if (!m) this.#byFirst.set(first.slot, m = new Map());
      for (const v of first.values) {
        const list = m.get(v) ?? [];
        list.push(i);
        m.set(v, list);
      }
    });
    this.#firstSlots = [...this.#byFirst.keys()];
    this.#firstMaps = [...this.#byFirst.values()];
  }

  /** Which routing entries hold for the event in `view`, as a cache key. */
  routeKey(view: EventView): string {
    const hits = this.#collect(view);
    let key = "";
    for (const i of hits) key += i + ",";
    return key;
  }

  /** The sorted indexes of the entries that hold (a reused array). */
  #collect(view: EventView): number[] {
    // Entries are indexed by their first test's field and values, so only
    // entries whose first test already holds are checked further.
    const hits = this.#hits;
    hits.length = 0;
    const slots = this.#firstSlots;
    const maps = this.#firstMaps;
    for (let k = 0; k < slots.length; k++) {
      const s = view.lower(slots[k]);
      if (s === undefined) continue;
      const list = maps[k].get(s);
      if (list) {
        for (let j = 0; j < list.length; j++) {
          if (this.#holds(list[j], view, 1)) hits.push(list[j]);
        }
      }
    }
    const wild = this.#wild;
    for (let j = 0; j < wild.length; j++) {
      if (this.#holds(wild[j], view, 0)) hits.push(wild[j]);
    }
    if (hits.length > 1) hits.sort((a, b) => a - b);
    return hits;
  }

  #holds(i: number, view: EventView, from: number): boolean {
    const tests = this.#entries[i].tests;
    for (let j = from; j < tests.length; j++) {
      const t = tests[j];
      if (t.values === null) {
        const x = view.get(t.slot);
        if (x === undefined || x === null) return false;
      } else {
        const s = view.lower(t.slot);
        if (s === undefined || !t.values.has(s)) return false;
      }
    }
    return true;
  }

  /**
   * The rules that may match the event currently in `view`: those of its
   * logsource, narrowed by the literal prefilter. A reused array.
   */
  route(view: EventView): R[] {
    return this.plan(view).candidates(view);
  }

  /** The routing plan (rules of the logsource plus their index) for `view`. */
  plan(view: EventView): PrefilterPlan<R> {
    // Looked up by a numeric hash of the entry set (verified), so routing
    // allocates nothing per event.
    const hits = this.#collect(view);
    let h = hits.length;
    for (const i of hits) h = (Math.imul(h, 31) + i + 1) | 0;
    const bucket = this.#byHash.get(h);
    if (bucket) {
      for (const b of bucket) {
        if (b.hits.length !== hits.length) continue;
        let same = true;
        for (let k = 0; k < hits.length && same; k++) {
          same = b.hits[k] === hits[k];
        }
        if (same) return b.plan;
      }
    }
    const key = hits.map((i) => i + ",").join("");
    let plan = this.#cache.get(key);
    if (plan === undefined) {
      plan = new PrefilterPlan(this.#select(key));
      this.#cache.set(key, plan);
    }
    const list = bucket ?? [];
    list.push({ hits: [...hits], plan });
    this.#byHash.set(h, list);
    return plan;
  }

  /** Every rule of the event's logsource, without prefiltering. */
  rulesFor(view: EventView): R[] {
    return this.#select(this.routeKey(view));
  }

  /** The event's product/category/service values (for rule authors' tooling). */
  logsourceOf(
    view: EventView,
  ): { product: string[]; category: string[]; service: string[] } {
    const { p, c, s } = this.#sets(this.routeKey(view));
    return { product: [...p], category: [...c], service: [...s] };
  }

  #sets(key: string) {
    const p = new Set<string>();
    const c = new Set<string>();
    const s = new Set<string>();
    for (const part of key.split(",")) {
      if (part === "") continue;
      const e = this.#entries[Number(part)];
      e.product.forEach((x) => p.add(x));
      e.category.forEach((x) => c.add(x));
      e.service.forEach((x) => s.add(x));
    }
    return { p, c, s };
  }

  #select(key: string): R[] {
    const { p, c, s } = this.#sets(key);
    return this.#rules.filter((r) => {
      const ls = r.logsource;
      if (ls.product && !p.has(ls.product.toLowerCase())) return false;
      if (ls.category && !c.has(ls.category.toLowerCase())) return false;
      if (ls.service && !s.has(ls.service.toLowerCase())) return false;
      return true;
    });
  }
}
