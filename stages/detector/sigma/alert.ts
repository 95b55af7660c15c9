/**
 * Building alerts from rule matches: MITRE ATT&CK from `attack.*` tags,
 * deterministic ids, the entity, evidence and window.
 *
 * @module
 */
import type { Alert } from "../../shared/contracts/mod.ts";
import { stableId } from "../../shared/ids.ts";
import type { RuleMeta } from "./compile.ts";

/** Most evidence event ids an alert carries. */
export const EVIDENCE_MAX = 100;

const TECHNIQUE = /^attack\.(t\d{4}(?:\.\d{3})?)$/i;
const NON_TACTIC = /^attack\.(?:[gs]\d{4}|t\d{4}.*)$/i;

/** MITRE tactics and techniques named by a rule's tags. */
export function mitreFromTags(tags: string[]): Alert["mitre"] {
  const tactics: string[] = [];
  const techniques: string[] = [];
  for (const t of tags) {
    const m = TECHNIQUE.exec(t);
    if (m) {
      const id = m[1].toUpperCase();
      if (!techniques.includes(id)) techniques.push(id);
    } else if (/^attack\./i.test(t) && !NON_TACTIC.test(t)) {
      const name = t.slice(7).toLowerCase().replace(/_/g, "-");
      if (name && !tactics.includes(name)) tactics.push(name);
    }
  }
  return { tactics, techniques };
}

/** The fields of an alert's `rule` object. */
export function ruleRef(meta: RuleMeta): Alert["rule"] {
  const r: Alert["rule"] = {
    id: meta.id,
    title: meta.title,
    level: meta.level,
    tags: meta.tags,
  };
  if (meta.description) r.description = meta.description;
  r.source = meta.file;
  return r;
}

/** Inputs of {@link buildAlert}. */
export interface AlertParts {
  kind: "sigma" | "correlation";
  meta: RuleMeta;
  tenant: string;
  groupKey: string;
  group: Record<string, string>;
  entity: { type: string; value: string };
  eventIds: string[];
  count: number;
  windowStartMs: number;
  windowEndMs: number;
  message: string;
  nowMs: number;
}

/**
 * Assembles a schema-valid alert; `alert_id = stableId(rule id, tenant,
 * group key, window start)`. The tenant is always part of the id: event ids
 * are not unique across tenants (review A7).
 */
export function buildAlert(p: AlertParts): Alert {
  const start = new Date(p.windowStartMs).toISOString();
  const ids = p.eventIds.length > EVIDENCE_MAX
    ? p.eventIds.slice(p.eventIds.length - EVIDENCE_MAX)
    : p.eventIds;
  return {
    record: "alert",
    alert_id: stableId(p.meta.id, p.tenant, p.groupKey, start),
    kind: p.kind,
    tenant: p.tenant,
    rule: ruleRef(p.meta),
    severity: p.meta.level,
    mitre: mitreFromTags(p.meta.tags),
    ts: new Date(p.windowEndMs).toISOString(),
    detected_at: new Date(p.nowMs).toISOString(),
    entity: p.entity,
    group: p.group,
    evidence: { event_ids: ids, count: Math.max(1, p.count) },
    window: { start, end: new Date(p.windowEndMs).toISOString() },
    message: p.message,
  };
}

/** `5m`, `90s`, `2h` for messages. */
export function formatSpan(ms: number): string {
  if (ms % 3600e3 === 0) return `${ms / 3600e3}h`;
  if (ms % 60e3 === 0) return `${ms / 60e3}m`;
  return `${Math.round(ms / 1e3)}s`;
}
