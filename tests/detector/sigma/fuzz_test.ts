/**
 * Robustness over broken rules: SigmaHQ corpus rules and the project's own
 * pack (rules, correlations, filters), damaged the way hand edits damage
 * them (a condition with a stray or missing token, an unknown or misplaced
 * modifier, a value of the wrong type, a missing key, a list where a name
 * belongs), never throw out of the loader. Each document compiles or is
 * refused with a reason a rule author can read (no `[object Object]`), and
 * what compiles evaluates real pipe events without a single predicate
 * error, raising only schema-valid alerts.
 */
import assert from "node:assert/strict";
import { buildRuleSet } from "../../../stages/detector/sigma/compile.ts";
import {
  listRuleFiles,
  parseRuleText,
} from "../../../stages/detector/sigma/load.ts";
import { SigmaDetector } from "../../../stages/detector/sigma/engine.ts";
import type { SourceDoc } from "../../../stages/detector/sigma/compile.ts";
import {
  type Alert,
  type EnrichedEvent,
  validatorFor,
} from "../../../stages/shared/contracts/mod.ts";
import { generatedTraffic } from "../../../bench/anomaly_bench.ts";
import { Mutator } from "../../shared/_mutate.ts";

const PACK = new URL("../../../sigma/", import.meta.url).pathname;
const CORPUS = new URL("../../../../shared/sigmahq/rules/", import.meta.url)
  .pathname;

async function docsUnder(path: string): Promise<SourceDoc[]> {
  const errors: { file: string; reason: string }[] = [];
  const docs: SourceDoc[] = [];
  for (const f of await listRuleFiles(path, errors)) {
    docs.push(...parseRuleText(f, await Deno.readTextFile(f), errors));
  }
  return docs;
}

const pack = await docsUnder(PACK);
let corpus: SourceDoc[] = [];
try {
  corpus = await docsUnder(CORPUS);
} catch {
  // Without ../shared the pack alone is fuzzed (the test name says so).
}

// Pipe events with attacks in them, so rules and correlations match.
const events: EnrichedEvent[] = generatedTraffic({
  seed: "sigma-fuzz",
  count: 4_000,
  injects: [
    "brute_force_ssh:at=20",
    "port_scan:at=60",
    "dns_tunneling:at=100",
    "password_spray:at=140",
    "privilege_escalation:at=180",
  ],
});

const MODIFIERS = [
  "contains",
  "startswith",
  "endswith",
  "all",
  "re",
  "re|i",
  "cidr",
  "base64",
  "base64offset|contains",
  "windash",
  "wide|base64offset|contains",
  "utf16le|base64",
  "exists",
  "expand",
  "fieldref",
  "gt",
  "gte",
  "lt",
  "lte",
  "cased",
  "neq",
  "bogus",
  "",
];
const CONDITION_TOKENS = [
  "and",
  "or",
  "not",
  "(",
  ")",
  "1 of",
  "all of",
  "them",
  "selection*",
  "filter",
  "|",
  "count() > 5",
  "near",
  "x of",
  "0 of",
  "*",
  "selection",
];
/** Keys whose values the mutator sets to odd ones now and then. */
const KEYS = [
  "condition",
  "timeframe",
  "timespan",
  "group-by",
  "rules",
  "type",
  "field",
  "generate",
  "level",
  "tags",
  "logsource",
  "detection",
  "correlation",
  "filter",
  "product",
  "gte",
];

/** A condition with one to three token edits. */
function damagedCondition(m: Mutator, c: string): string {
  const t = c.split(/\s+/);
  const edits = 1 + Math.floor(m.random() * 3);
  for (let j = 0; j < edits; j++) {
    const p = Math.floor(m.random() * (t.length + 1));
    const op = m.random();
    if (op < 0.4) t.splice(p, 0, m.pick(CONDITION_TOKENS));
    else if (op < 0.7) t.splice(p, 1);
    else t[p] = m.pick(CONDITION_TOKENS);
  }
  return t.join(" ");
}

/** A damaged rule document: conditions edited, modifiers swapped, values retyped. */
function damaged(m: Mutator, doc: unknown): unknown {
  const walk = (v: unknown): unknown => {
    if (v === null || typeof v !== "object" || Array.isArray(v)) {
      return m.value(v, KEYS);
    }
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      const r = m.random();
      if (r < 0.03) continue;
      const key = r < 0.12 ? `${k.split("|")[0]}|${m.pick(MODIFIERS)}` : k;
      out[key] = k === "condition" && typeof x === "string" && m.random() < 0.6
        ? damagedCondition(m, x)
        : m.random() < 0.25
        ? walk(x)
        : x;
    }
    if (m.random() < 0.05) out[m.pick(KEYS)] = m.value("x");
    return out;
  };
  return walk(doc);
}

const validAlert = validatorFor("alert");

for (const seed of [1, 2]) {
  Deno.test(`damaged rules (seed ${seed}, 1,500 rule sets of 1-3 ${corpus.length ? "SigmaHQ and pack" : "pack (../shared/sigmahq not found)"} documents): compiled or refused with a readable reason, and what compiles evaluates without errors`, () => {
    const m = new Mutator(seed, ["selection", "CommandLine", "5m", "src_ip"]);
    let compiled = 0, refused = 0, alerts = 0;
    for (let i = 0; i < 1_500; i++) {
      const group: SourceDoc[] = [];
      const n = 1 + Math.floor(m.random() * 3);
      for (let j = 0; j < n; j++) {
        const sd = corpus.length && m.random() < 0.5
          ? m.pick(corpus)
          : m.pick(pack);
        const doc = m.random() < 0.9
          ? damaged(m, structuredClone(sd.doc))
          : sd.doc;
        group.push({ ...sd, doc } as SourceDoc);
      }
      const at = `seed ${seed}, set ${i}: ${
        JSON.stringify(group.map((g) => g.doc))
      }`;
      let set;
      try {
        set = buildRuleSet(group);
      } catch (e) {
        assert.fail(`threw ${(e as Error).stack} on ${at}`);
      }
      compiled += set.rules.length + set.correlations.length;
      refused += set.errors.length;
      for (const e of set.errors) {
        assert.ok(e.file.length > 0, at);
        assert.ok(e.reason.length > 10, `${e.reason}: ${at}`);
        assert.doesNotMatch(e.reason, /\[object Object\]|undefined/, at);
      }
      const det = new SigmaDetector(set, { now: () => 0 });
      const raise = (a: Alert) => {
        alerts++;
        const bad = validAlert(a);
        assert.equal(bad, null, `${bad?.join("; ")} on ${at}`);
      };
      const from = Math.floor(m.random() * (events.length - 400));
      for (let k = from; k < from + 400; k++) det.observe(events[k], raise);
      const stats = det.stats() as { errors: number };
      assert.equal(stats.errors, 0, `predicate errors on ${at}`);
    }
    // Both outcomes, and matching, are exercised.
    assert.ok(compiled > 500 && refused > 500, `${compiled} / ${refused}`);
    assert.ok(alerts > 0, "some damaged rules still raise alerts");
  });
}
