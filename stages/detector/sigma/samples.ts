/**
 * Rule authors' tests: sample events that a rule must match and must not
 * match, kept beside the rules as documents
 * `{rule: <id or name>, samples: {match: [...], no_match: [...]}}`. Each
 * entry is one event or a list of events (a sequence, for correlations).
 * Events are partial EnrichedEvents; missing required keys get neutral
 * defaults and `ts` defaults to one second apart.
 *
 * @module
 */
import { mulberry32 } from "../../shared/random.ts";
import type { Alert, EnrichedEvent } from "../../shared/contracts/mod.ts";
import { uuidFromRandom } from "../../shared/ids.ts";
import type { RuleSet, SampleSet } from "./compile.ts";
import { SigmaDetector } from "./engine.ts";
import { EventView } from "./fields.ts";

/** Outcome of one sample. */
export interface SampleResult {
  file: string;
  rule: string;
  expect: "match" | "no_match";
  index: number;
  ok: boolean;
  reason?: string;
}

/** Outcome of all samples of a rule set. */
export interface SampleReport {
  results: SampleResult[];
  passed: number;
  failed: number;
  /** Rules (by id) that have no sample of each kind. */
  rulesWithoutSamples: string[];
}

const BASE_TS = Date.parse("2026-11-24T10:00:00.000Z");

/** Completes a partial sample event into an EnrichedEvent. */
export function completeSample(
  partial: Record<string, unknown>,
  seq: number,
  next: () => number,
): EnrichedEvent {
  const ts = typeof partial.ts === "string"
    ? partial.ts
    : new Date(BASE_TS + seq * 1000).toISOString();
  return {
    record: "enriched_event",
    event_id: uuidFromRandom(next),
    received_at: ts,
    tenant: "default",
    source_name: "sample",
    transport: "replay",
    ingest_node: "sample",
    format: "json",
    ts,
    ts_source: "event",
    category: "other",
    action: "unknown",
    outcome: "unknown",
    severity: "informational",
    fields: {},
    payload: {},
    ...partial,
  } as EnrichedEvent;
}

/** Runs every sample set against `set`. */
export function runSamples(set: RuleSet): SampleReport {
  const results: SampleResult[] = [];
  const covered = new Set<string>();
  for (const s of set.samples) results.push(...runSampleSet(set, s, covered));
  const all = [
    ...set.rules.map((r) => r.meta.id),
    ...set.correlations.map((c) => c.meta.id),
  ];
  const passed = results.filter((r) => r.ok).length;
  return {
    results,
    passed,
    failed: results.length - passed,
    rulesWithoutSamples: all.filter((id) => !covered.has(id)),
  };
}

function runSampleSet(
  set: RuleSet,
  s: SampleSet,
  covered: Set<string>,
): SampleResult[] {
  const rule = set.rules.find((r) =>
    r.meta.id === s.rule || r.meta.name === s.rule
  );
  const corr = set.correlations.find((c) =>
    c.meta.id === s.rule || c.meta.name === s.rule
  );
  if (!rule && !corr) {
    return [{
      file: s.file,
      rule: s.rule,
      expect: "match",
      index: 0,
      ok: false,
      reason: `no loaded rule has id or name '${s.rule}'`,
    }];
  }
  const id = (rule ?? corr)!.meta.id;
  covered.add(id);
  const next = mulberry32(0x5157);
  const fires = (events: Record<string, unknown>[]): boolean => {
    const evs = events.map((e, i) => completeSample(e, i, next));
    if (rule) {
      // Base rules are checked directly, so rules whose alerts are folded
      // into a correlation (`generate: false`) are testable too.
      const view = new EventView(set.fields);
      return evs.some((e) => {
        view.reset(e as unknown as Record<string, unknown>);
        return set.router.rulesFor(view).includes(rule) && rule.match(view);
      });
    }
    // A correlation that only feeds a chain raises no alert of its own;
    // its samples still test it, so it alerts here.
    const tested = corr!.generate ? set : {
      ...set,
      correlations: set.correlations.map((c) =>
        c === corr ? { ...c, generate: true } : c
      ),
    };
    const alerts: Alert[] = [];
    const det = new SigmaDetector(tested, { now: () => BASE_TS });
    for (const e of evs) det.observe(e, (a) => alerts.push(a));
    return alerts.some((a) => a.rule.id === id);
  };
  const out: SampleResult[] = [];
  s.match.forEach((seq, index) => {
    const ok = fires(seq);
    out.push({
      file: s.file,
      rule: id,
      expect: "match",
      index,
      ok,
      reason: ok ? undefined : `match sample ${index + 1} did not fire`,
    });
  });
  s.noMatch.forEach((seq, index) => {
    const ok = !fires(seq);
    out.push({
      file: s.file,
      rule: id,
      expect: "no_match",
      index,
      ok,
      reason: ok ? undefined : `no_match sample ${index + 1} fired`,
    });
  });
  return out;
}
