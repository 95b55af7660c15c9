/** Small helpers shared by the Sigma tests. */
import { parse as parseYaml } from "yaml";
import type {
  Alert,
  EnrichedEvent,
} from "../../../stages/shared/contracts/mod.ts";
import {
  buildRuleSet,
  type RuleSet,
} from "../../../stages/detector/sigma/compile.ts";
import { parseRuleText } from "../../../stages/detector/sigma/load.ts";
import {
  SigmaDetector,
  type SigmaDetectorOptions,
} from "../../../stages/detector/sigma/engine.ts";

let seq = 0;

/** A complete EnrichedEvent from a partial one. */
export function event(partial: Record<string, unknown> = {}): EnrichedEvent {
  seq++;
  const hex = seq.toString(16).padStart(12, "0");
  return {
    record: "enriched_event",
    event_id: `00000000-0000-4000-8000-${hex}`,
    received_at: "2026-11-24T10:00:00.000Z",
    tenant: "default",
    source_name: "test",
    transport: "replay",
    ingest_node: "test",
    format: "json",
    ts: "2026-11-24T10:00:00.000Z",
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

/** Compiles YAML text (one or more documents) into a rule set. */
export function rulesFrom(yamlText: string, file = "test.yml"): RuleSet {
  const errors: { file: string; reason: string }[] = [];
  const docs = parseRuleText(file, yamlText, errors);
  const set = buildRuleSet(docs);
  set.errors.unshift(...errors);
  return set;
}

/** A detection rule with logsource {} and the given detection (YAML). */
export function ruleYaml(detection: string, extra = ""): string {
  return `title: Test Rule
id: 11111111-1111-4111-8111-111111111111
logsource: {}
${extra}detection:
${detection.split("\n").map((l) => "  " + l).join("\n")}
level: medium
`;
}

/** Whether the single rule in `set` matches `ev` (through routing). */
export function matches(set: RuleSet, ev: EnrichedEvent): boolean {
  const det = new SigmaDetector(set);
  let hit = false;
  det.observe(ev, () => (hit = true));
  return hit;
}

/** Runs events through a detector and collects alerts. */
export function runAll(
  set: RuleSet,
  events: EnrichedEvent[],
  opts: SigmaDetectorOptions = {},
): { alerts: Alert[]; detector: SigmaDetector } {
  const det = new SigmaDetector(set, { now: () => 0, ...opts });
  const alerts: Alert[] = [];
  for (const e of events) det.observe(e, (a) => alerts.push(a));
  return { alerts, detector: det };
}

/** Parses YAML (for table rows written as YAML). */
export function yaml(text: string): unknown {
  return parseYaml(text);
}

/** `2026-11-24T10:MM:SS.000Z` from seconds after 10:00. */
export function at(seconds: number): string {
  return new Date(Date.parse("2026-11-24T10:00:00.000Z") + seconds * 1000)
    .toISOString();
}
