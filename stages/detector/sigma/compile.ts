/**
 * From YAML documents to compiled rules: detection rules, Sigma filters,
 * correlation rules and the mapping config. Anything the engine cannot
 * honour is reported as a {@link RuleError} with file, rule id and reason;
 * the rest compiles into predicates once.
 *
 * @module
 */
import type { Severity } from "../../shared/contracts/mod.ts";
import { stableId } from "../../shared/ids.ts";
import { compileCondition, parseCondition } from "./condition.ts";
import { FieldTable } from "./fields.ts";
import {
  type Logsource,
  LogsourceRouter,
  MAPPING_KEYS,
  type MappingConfig,
  mergeMappings,
} from "./logsource.ts";
import { type Need, needAll, needAny, needOf, setNeed } from "./prefilter.ts";
import {
  compileFieldCondition,
  compileKeywords,
  type PatternContext,
  type Predicate,
} from "./pattern.ts";

/** A YAML document and where it came from. */
export interface SourceDoc {
  file: string;
  /** 0-based index of the document within a multi-document file. */
  index: number;
  doc: unknown;
}

/** A rule (or document) the engine rejected. */
export interface RuleError {
  file: string;
  ruleId?: string;
  title?: string;
  reason: string;
}

/** What every rule kind shares. */
export interface RuleMeta {
  id: string;
  name?: string;
  title: string;
  level: Severity;
  tags: string[];
  description?: string;
  file: string;
}

/** A compiled detection rule. */
export interface CompiledRule {
  meta: RuleMeta;
  logsource: Logsource;
  match: Predicate;
  /** Whether matches raise alerts of their own (see correlation `generate`). */
  generate: boolean;
  /** Literals one of which the event must contain to match (prefilter), or null. */
  need: Need | null;
  /** Position in {@link RuleSet.rules}. */
  index: number;
}

/** The correlation types of the Sigma correlation specification. */
export type CorrelationType =
  | "event_count"
  | "value_count"
  | "temporal"
  | "temporal_ordered"
  | "value_sum"
  | "value_avg"
  | "value_percentile";

/** A numeric range condition (`gte: 10`, `gt: 2, lte: 9`, …). */
export interface RangeCondition {
  gt?: number;
  gte?: number;
  lt?: number;
  lte?: number;
  eq?: number;
  neq?: number;
}

/** A parsed correlation rule, its references resolved. */
export interface CorrelationSpec {
  meta: RuleMeta;
  type: CorrelationType;
  /** Referenced rules: base rule indexes or other correlations, in order. */
  refs: ({ kind: "rule"; index: number } | {
    kind: "correlation";
    index: number;
  })[];
  groupBy: string[];
  /** Per group-by name: per ref position, the field slot to read (aliases applied). */
  groupSlots: number[][];
  /** Per group-by name: per ref position, the field name (for chained correlations). */
  groupFields: string[][];
  timespanMs: number;
  condition: RangeCondition;
  /** For value_* types: the field slot per ref (undefined for correlation refs). */
  valueSlots: (number | undefined)[];
  valueField?: string;
  percentile?: number;
  /**
   * Whether the correlation raises alerts of its own: true unless another
   * correlation references it (chained) without `generate: true`.
   */
  generate: boolean;
  /** Its own `generate` attribute: the rules it references alert too. */
  generateRefs: boolean;
  index: number;
}

/** A sample set: events a rule must and must not match. */
export interface SampleSet {
  file: string;
  rule: string;
  match: Record<string, unknown>[][];
  noMatch: Record<string, unknown>[][];
}

/** Everything loaded from a set of rule files. */
export interface RuleSet {
  rules: CompiledRule[];
  correlations: CorrelationSpec[];
  filters: number;
  errors: RuleError[];
  samples: SampleSet[];
  fields: FieldTable;
  router: LogsourceRouter<CompiledRule>;
  mapping: MappingConfig;
  /** Slots read for an alert's entity, in order of preference. */
  entitySlots: { name: string; slot: number }[];
}

const LEVELS: ReadonlySet<string> = new Set([
  "informational",
  "low",
  "medium",
  "high",
  "critical",
]);

/** Parses a Sigma timespan: `30s`, `5m`, `1h`, `2d`, `1w`, `1M`, `1y`. */
export function parseTimespan(v: unknown): number {
  const m = /^(\d+)\s*([smhdwMy])$/.exec(String(v ?? "").trim());
  if (!m) {
    throw new Error(`timespan ${shown(v)} must look like 30s, 5m, 1h, 2d`);
  }
  const unit: Record<string, number> = {
    s: 1e3,
    m: 60e3,
    h: 3600e3,
    d: 86400e3,
    w: 7 * 86400e3,
    M: 30 * 86400e3,
    y: 365 * 86400e3,
  };
  const ms = Number(m[1]) * unit[m[2]];
  if (ms <= 0) throw new Error(`timespan ${shown(v)} must be positive`);
  return ms;
}

type Doc = Record<string, unknown>;

function isMap(v: unknown): v is Doc {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A YAML value as a rule author would recognise it in a message (not `[object Object]`). */
function shown(v: unknown): string {
  if (typeof v === "string") return `'${v}'`;
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return Array.isArray(v)
      ? "a list that contains itself"
      : "a self-referencing map";
  }
}

function metaOf(d: Doc, file: string, index: number): RuleMeta {
  const title = d.title;
  if (typeof title !== "string" || title.trim() === "") {
    throw new Error(`missing title`);
  }
  const id = typeof d.id === "string" && d.id !== ""
    ? d.id
    : stableId("rule", file, index, title);
  const level = d.level === undefined ? "medium" : d.level;
  if (typeof level !== "string" || !LEVELS.has(level)) {
    throw new Error(`unknown level ${shown(level)}`);
  }
  const tags = d.tags === undefined ? [] : d.tags;
  if (!Array.isArray(tags)) throw new Error(`tags must be a list`);
  return {
    id,
    name: typeof d.name === "string" ? d.name : undefined,
    title,
    level: level as Severity,
    tags: tags.map(String),
    description: typeof d.description === "string" ? d.description : undefined,
    file,
  };
}

/** Compiles a `detection` section into one predicate. */
export function compileDetection(det: unknown, ctx: PatternContext): Predicate {
  if (!isMap(det)) throw new Error(`detection must be a map`);
  const cond = det.condition;
  if (cond === undefined) throw new Error(`detection has no condition`);
  const ids = new Map<string, Predicate>();
  for (const [name, body] of Object.entries(det)) {
    if (name === "condition" || name === "timeframe") continue;
    try {
      ids.set(name, compileSearch(body, ctx));
    } catch (e) {
      throw new Error(`search identifier '${name}': ${(e as Error).message}`);
    }
  }
  if (det.timeframe !== undefined) {
    throw new Error(
      `detection.timeframe is the deprecated aggregation form; write a correlation rule`,
    );
  }
  const conds = Array.isArray(cond) ? cond : [cond];
  if (conds.length === 0) throw new Error(`condition list is empty`);
  const preds = conds.map((c) => {
    if (typeof c !== "string") throw new Error(`condition must be a string`);
    return compileCondition(parseCondition(c), ids);
  });
  if (preds.length === 1) return preds[0];
  return setNeed((v) => preds.some((p) => p(v)), needAny(preds.map(needOf)));
}

function compileSearch(body: unknown, ctx: PatternContext): Predicate {
  if (isMap(body)) return compileMap(body, ctx);
  if (Array.isArray(body)) {
    if (body.length === 0) throw new Error(`empty list`);
    if (body.every(isMap)) {
      const xs = body.map((m) => compileMap(m as Doc, ctx));
      if (xs.length === 1) return xs[0];
      return setNeed((v) => {
        for (let i = 0; i < xs.length; i++) if (xs[i](v)) return true;
        return false;
      }, needAny(xs.map(needOf)));
    }
    if (body.every((x) => x === null || typeof x !== "object")) {
      return compileKeywords(body, [], ctx);
    }
    throw new Error(`a list must hold only maps or only keywords`);
  }
  if (typeof body === "string" || typeof body === "number") {
    return compileKeywords([body], [], ctx);
  }
  throw new Error(
    `unsupported search body (${body === null ? "null" : typeof body})`,
  );
}

function compileMap(m: Doc, ctx: PatternContext): Predicate {
  const entries = Object.entries(m);
  if (entries.length === 0) throw new Error(`empty map`);
  const xs = entries.map(([k, v]) => {
    try {
      return compileFieldCondition(k, v, ctx);
    } catch (e) {
      throw new Error(`field '${k}': ${(e as Error).message}`);
    }
  });
  if (xs.length === 1) return xs[0];
  const need = needAll(xs.map(needOf));
  if (xs.length === 2) {
    const [a, b] = xs;
    return setNeed((v) => a(v) && b(v), need);
  }
  return setNeed((v) => {
    for (let i = 0; i < xs.length; i++) if (!xs[i](v)) return false;
    return true;
  }, need);
}

function logsourceOf(d: Doc): Logsource {
  const ls = d.logsource;
  if (!isMap(ls)) throw new Error(`logsource must be a map`);
  const out: Logsource = {};
  for (const k of ["product", "category", "service"] as const) {
    const v = ls[k];
    if (v === undefined || v === null) continue;
    // A list or map here would route the rule nowhere, silently.
    if (typeof v === "object") {
      throw new Error(`logsource.${k} must be a single name, got ${shown(v)}`);
    }
    out[k] = String(v);
  }
  return out;
}

const RANGE_KEYS = ["gt", "gte", "lt", "lte", "eq", "neq"] as const;

function rangeOf(c: unknown, needed: boolean): RangeCondition {
  if (c === undefined && !needed) return {};
  if (!isMap(c)) throw new Error(`correlation condition must be a map`);
  const out: RangeCondition = {};
  for (const k of RANGE_KEYS) {
    if (c[k] === undefined) continue;
    const n = Number(c[k]);
    if (!Number.isFinite(n)) throw new Error(`condition ${k} must be a number`);
    out[k] = n;
  }
  if (Object.keys(out).length === 0 && needed) {
    throw new Error(`correlation condition needs gt/gte/lt/lte/eq`);
  }
  for (const k of Object.keys(c)) {
    if (
      !(RANGE_KEYS as readonly string[]).includes(k) && k !== "field" &&
      k !== "percentile"
    ) {
      throw new Error(`unknown correlation condition key '${k}'`);
    }
  }
  return out;
}

/** True when `n` satisfies the range. */
export function inRange(n: number, r: RangeCondition): boolean {
  if (r.gt !== undefined && !(n > r.gt)) return false;
  if (r.gte !== undefined && !(n >= r.gte)) return false;
  if (r.lt !== undefined && !(n < r.lt)) return false;
  if (r.lte !== undefined && !(n <= r.lte)) return false;
  if (r.eq !== undefined && n !== r.eq) return false;
  if (r.neq !== undefined && n === r.neq) return false;
  return true;
}

const SEVERITY_FIELDS = [
  "source.ip",
  "user.name",
  "user.target.name",
  "destination.ip",
  "host.name",
  "process.name",
];

/** Options for {@link buildRuleSet}. */
export interface BuildOptions {
  /** Extra mapping-config documents (beyond those found among the rules). */
  mappingDocs?: Record<string, unknown>[];
}

/**
 * Compiles documents into a rule set. Never throws for a bad rule: each one
 * lands in `errors` with its reason.
 */
export function buildRuleSet(
  docs: SourceDoc[],
  opts: BuildOptions = {},
): RuleSet {
  const errors: RuleError[] = [];
  const ruleDocs: SourceDoc[] = [];
  const filterDocs: SourceDoc[] = [];
  const corrDocs: SourceDoc[] = [];
  const mappingDocs: Record<string, unknown>[] = [...(opts.mappingDocs ?? [])];
  const samples: SampleSet[] = [];

  for (const sd of docs) {
    const d = sd.doc;
    if (d === null || d === undefined) continue; // empty document
    if (!isMap(d)) {
      errors.push({
        file: sd.file,
        reason: `document ${sd.index + 1} is not a map`,
      });
      continue;
    }
    if (d.correlation !== undefined) corrDocs.push(sd);
    else if (d.filter !== undefined) filterDocs.push(sd);
    else if (d.detection !== undefined) ruleDocs.push(sd);
    else if (d.samples !== undefined) {
      try {
        samples.push(parseSamples(sd.file, d));
      } catch (e) {
        errors.push({ file: sd.file, reason: (e as Error).message });
      }
    } else if (MAPPING_KEYS.some((k) => d[k] !== undefined)) {
      mappingDocs.push(d);
    } else if (d.action === "global" || d.action === "repeat") {
      errors.push({
        file: sd.file,
        title: String(d.title ?? ""),
        reason:
          `action: ${d.action} (Sigma v1 multi-document rules) is not supported`,
      });
    } else {
      errors.push({
        file: sd.file,
        ruleId: typeof d.id === "string" ? d.id : undefined,
        reason: `document ${
          sd.index + 1
        } is neither a rule (detection), a filter, a correlation, samples nor a mapping config`,
      });
    }
  }

  let mapping: MappingConfig;
  try {
    mapping = mergeMappings(mappingDocs);
  } catch (e) {
    errors.push({ file: "(mapping config)", reason: (e as Error).message });
    mapping = mergeMappings([]);
  }
  const fields = new FieldTable(mapping.fieldmappings);
  const ctx: PatternContext = { fields, placeholders: mapping.placeholders };

  const rules: CompiledRule[] = [];
  const byRef = new Map<string, CompiledRule>();
  const seenIds = new Set<string>();
  for (const sd of ruleDocs) {
    const d = sd.doc as Doc;
    const id = typeof d.id === "string" ? d.id : undefined;
    try {
      const meta = metaOf(d, sd.file, sd.index);
      if (seenIds.has(meta.id)) throw new Error(`duplicate rule id ${meta.id}`);
      const match = compileDetection(d.detection, ctx);
      const rule: CompiledRule = {
        meta,
        logsource: logsourceOf(d),
        match,
        generate: true,
        need: needOf(match),
        index: rules.length,
      };
      seenIds.add(meta.id);
      rules.push(rule);
      byRef.set(meta.id, rule);
      if (meta.name) byRef.set(meta.name, rule);
    } catch (e) {
      errors.push({
        file: sd.file,
        ruleId: id,
        title: typeof d.title === "string" ? d.title : undefined,
        reason: (e as Error).message,
      });
    }
  }

  // Sigma filters: AND their condition onto the rules they name.
  let filters = 0;
  for (const sd of filterDocs) {
    const d = sd.doc as Doc;
    try {
      metaOf(d, sd.file, sd.index);
      const f = d.filter;
      if (!isMap(f)) throw new Error(`filter must be a map`);
      const refs = f.rules === undefined ? [] : f.rules;
      if (!Array.isArray(refs)) throw new Error(`filter.rules must be a list`);
      const { rules: _r, ...detection } = f;
      const pred = compileDetection(detection, ctx);
      const targets = refs.length === 0
        ? rules.filter((r) => logsourceCovers(logsourceOf(d), r.logsource))
        : refs.map((ref) => {
          const r = byRef.get(String(ref));
          if (!r) {
            throw new Error(`filter references unknown rule ${shown(ref)}`);
          }
          return r;
        });
      for (const r of targets) {
        const base = r.match;
        // AND with the filter: the rule's own need still holds.
        r.match = (v) => base(v) && pred(v);
      }
      filters++;
    } catch (e) {
      errors.push({
        file: sd.file,
        ruleId: typeof d.id === "string" ? d.id : undefined,
        title: typeof d.title === "string" ? d.title : undefined,
        reason: (e as Error).message,
      });
    }
  }

  const correlations = compileCorrelations(
    corrDocs,
    rules,
    byRef,
    fields,
    errors,
  );

  const router = new LogsourceRouter(mapping, fields, rules);
  const entitySlots = SEVERITY_FIELDS.map((name) => ({
    name,
    slot: fields.slot(name),
  }));
  return {
    rules,
    correlations,
    filters,
    errors,
    samples,
    fields,
    router,
    mapping,
    entitySlots,
  };
}

function logsourceCovers(filter: Logsource, rule: Logsource): boolean {
  for (const k of ["product", "category", "service"] as const) {
    if (filter[k] && filter[k]?.toLowerCase() !== rule[k]?.toLowerCase()) {
      return false;
    }
  }
  return true;
}

const CORR_TYPES: ReadonlySet<string> = new Set([
  "event_count",
  "value_count",
  "temporal",
  "temporal_ordered",
  "value_sum",
  "value_avg",
  "value_percentile",
]);

function compileCorrelations(
  docs: SourceDoc[],
  rules: CompiledRule[],
  byRef: Map<string, CompiledRule>,
  fields: FieldTable,
  errors: RuleError[],
): CorrelationSpec[] {
  // Correlations may reference each other (chaining): resolve in rounds.
  const pending = [...docs];
  const out: CorrelationSpec[] = [];
  const corrByRef = new Map<string, CorrelationSpec>();
  const failures = new Map<SourceDoc, string>();
  let progress = true;
  while (pending.length && progress) {
    progress = false;
    for (let i = 0; i < pending.length; i++) {
      const sd = pending[i];
      const d = sd.doc as Doc;
      try {
        const spec = compileCorrelation(
          sd,
          d,
          byRef,
          corrByRef,
          fields,
          out.length,
        );
        out.push(spec);
        corrByRef.set(spec.meta.id, spec);
        if (spec.meta.name) corrByRef.set(spec.meta.name, spec);
        pending.splice(i--, 1);
        progress = true;
      } catch (e) {
        failures.set(sd, (e as Error).message);
      }
    }
  }
  for (const sd of pending) {
    const d = sd.doc as Doc;
    errors.push({
      file: sd.file,
      ruleId: typeof d.id === "string" ? d.id : undefined,
      title: typeof d.title === "string" ? d.title : undefined,
      reason: failures.get(sd) ?? "unresolved",
    });
  }
  // A rule referenced by correlations raises its own alerts only when one
  // of them says `generate: true` (Sigma correlation spec, Generate: only
  // the correlation query is generated by default). That holds for base
  // rules and for correlations feeding a chain alike: "Related rules" may
  // be Sigma or correlation rules, and the rules of a chain "are not
  // producing individual, independent queries". A correlation nothing
  // references always alerts.
  const referenced = new Map<string, boolean>();
  for (const c of out) {
    for (const r of c.refs) {
      const key = `${r.kind}:${r.index}`;
      referenced.set(key, (referenced.get(key) ?? false) || c.generateRefs);
    }
  }
  for (const r of rules) {
    const g = referenced.get(`rule:${r.index}`);
    if (g !== undefined) r.generate = g;
  }
  for (const c of out) {
    c.generate = referenced.get(`correlation:${c.index}`) ?? true;
  }
  return out;
}

function compileCorrelation(
  sd: SourceDoc,
  d: Doc,
  byRef: Map<string, CompiledRule>,
  corrByRef: Map<string, CorrelationSpec>,
  fields: FieldTable,
  index: number,
): CorrelationSpec {
  const meta = metaOf(d, sd.file, sd.index);
  const c = d.correlation;
  if (!isMap(c)) throw new Error(`correlation must be a map`);
  const type = c.type;
  if (typeof type !== "string" || !CORR_TYPES.has(type)) {
    throw new Error(`unknown correlation type ${shown(type ?? "")}`);
  }
  const refsRaw = Array.isArray(c.rules)
    ? c.rules
    : c.rules === undefined
    ? []
    : [c.rules];
  if (refsRaw.length === 0) throw new Error(`correlation.rules is empty`);
  const odd = refsRaw.find((r) => typeof r === "object");
  if (odd !== undefined) {
    throw new Error(
      `correlation.rules lists rule names or ids, not ${shown(odd)}`,
    );
  }
  const refNames = refsRaw.map(String);
  // Per ref, the names an alias may key it by: aliases are keyed by rule
  // `name` (correlation spec, Field Name Aliases) while `rules:` may list
  // ids or names, so both the reference as written and the rule's name
  // (and id) find it.
  const refKeys: string[][] = [];
  const refs = refNames.map((name) => {
    const r = byRef.get(name);
    const cc = r ? undefined : corrByRef.get(name);
    const meta = r?.meta ?? cc?.meta;
    if (!meta) throw new Error(`references unknown rule '${name}'`);
    refKeys.push(
      [name, meta.name, meta.id].filter((k): k is string =>
        typeof k === "string" && k !== ""
      ),
    );
    return r
      ? { kind: "rule" as const, index: r.index }
      : { kind: "correlation" as const, index: cc!.index };
  });
  const gb = c["group-by"] === undefined ? [] : c["group-by"];
  if (!Array.isArray(gb)) throw new Error(`group-by must be a list`);
  const groupBy = gb.map(String);
  const aliases = c.aliases === undefined ? {} : c.aliases;
  if (!isMap(aliases)) throw new Error(`aliases must be a map`);
  const groupFields = groupBy.map((g) => {
    const al = aliases[g];
    return refNames.map((rn, i) => {
      let field = g;
      if (al !== undefined) {
        if (!isMap(al)) {
          throw new Error(`alias ${g} must map rule names to fields`);
        }
        const key = refKeys[i].find((k) => al[k] !== undefined);
        if (key === undefined) {
          throw new Error(
            `alias ${g} has no field for rule '${rn}'${
              refKeys[i].length > 1
                ? ` (nor for ${
                  refKeys[i].slice(1).map((k) => `'${k}'`).join(", ")
                })`
                : ""
            }`,
          );
        }
        field = String(al[key]);
      }
      return field;
    });
  });
  const groupSlots = groupFields.map((fs) => fs.map((f) => fields.slot(f)));
  const timespanMs = parseTimespan(c.timespan);
  const needsCond = type !== "temporal" && type !== "temporal_ordered";
  const condition = rangeOf(c.condition, needsCond);
  let valueField: string | undefined;
  let percentile: number | undefined;
  if (type.startsWith("value_")) {
    const cm = c.condition as Doc;
    if (typeof cm.field !== "string") {
      throw new Error(`${type} needs condition.field`);
    }
    valueField = cm.field;
    if (type === "value_percentile") {
      percentile = cm.percentile === undefined ? 50 : Number(cm.percentile);
      if (!(percentile >= 0 && percentile <= 100)) {
        throw new Error(`percentile must be within 0..100`);
      }
    }
  }
  const valueSlots = refs.map((r) =>
    valueField !== undefined && r.kind === "rule"
      ? fields.slot(valueField)
      : undefined
  );
  if (type === "temporal" || type === "temporal_ordered") {
    if (refs.length < 2) throw new Error(`${type} needs at least two rules`);
  }
  return {
    meta,
    type: type as CorrelationType,
    refs,
    groupBy,
    groupSlots,
    groupFields,
    timespanMs,
    condition,
    valueSlots,
    valueField,
    percentile,
    generate: true,
    // The spec lists Generate beside Level, and its JSON schema has it at
    // the top level; earlier rules (and our pack) put it inside
    // `correlation:`. Either placement counts.
    generateRefs: d.generate === true || c.generate === true,
    index,
  };
}

function parseSamples(file: string, d: Doc): SampleSet {
  const s = d.samples;
  if (!isMap(s)) throw new Error(`samples must be a map`);
  const rule = d.rule;
  if (typeof rule !== "string") {
    throw new Error(`samples need 'rule: <id or name>'`);
  }
  const seqs = (v: unknown, what: string): Record<string, unknown>[][] => {
    if (v === undefined) return [];
    if (!Array.isArray(v)) throw new Error(`samples.${what} must be a list`);
    return v.map((x, i) => {
      if (Array.isArray(x)) {
        if (!x.every(isMap)) {
          throw new Error(`samples.${what}[${i}] must hold events`);
        }
        return x as Record<string, unknown>[];
      }
      if (!isMap(x)) {
        throw new Error(
          `samples.${what}[${i}] must be an event or list of events`,
        );
      }
      return [x];
    });
  };
  return {
    file,
    rule,
    match: seqs(s.match, "match"),
    noMatch: seqs(s.no_match, "no_match"),
  };
}
