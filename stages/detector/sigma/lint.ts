/**
 * Lint findings beyond rejection: rules that compile but read fields
 * nothing gives a value. A Sigma field name resolves through the mapping,
 * else to our EnrichedEvent field of that name, else only to the event's
 * own keys (`fields.NAME` a parser happened to extract, the JSON payload's
 * `NAME`). In a generic category (webserver, proxy, firewall, dns) a name
 * of the third kind (a SigmaHQ webserver rule's `cs-cookie` on an access
 * log) makes the rule silently never fire; `rules lint` warns so the user
 * sees why, without rejecting the rule (a JSON source may still carry that
 * key).
 *
 * @module
 */
import enrichedSchema from "../../../schemas/enriched_event.schema.json" with {
  type: "json",
};
import type { RuleSet } from "./compile.ts";
import { parseRuleText } from "./load.ts";

/** A compiled rule reading fields that resolve to no known event field. */
export interface FieldWarning {
  file: string;
  ruleId?: string;
  title?: string;
  /** The field names, in rule order, without modifiers. */
  fields: string[];
  reason: string;
}

type SchemaNode = {
  properties?: Record<string, SchemaNode>;
  $ref?: string;
  additionalProperties?: unknown;
};

/**
 * Every path of the EnrichedEvent schema (`url`, `url.query`, …). Objects
 * whose keys are open (`fields`, `enrichment`, `payload`) are not listed:
 * names under them are known only when a rule writes them out
 * (`fields.http.version`), which {@link isKnownPath} accepts.
 */
function schemaPaths(): Set<string> {
  const root = enrichedSchema as unknown as SchemaNode & {
    $defs: Record<string, SchemaNode>;
  };
  const out = new Set<string>();
  const walk = (node: SchemaNode, prefix: string, depth: number) => {
    let n = node;
    if (n.$ref?.startsWith("#/$defs/")) n = root.$defs[n.$ref.slice(8)];
    if (!n?.properties || depth > 6) return;
    for (const [k, child] of Object.entries(n.properties)) {
      const p = prefix ? `${prefix}.${k}` : k;
      out.add(p);
      walk(child, p, depth + 1);
    }
  };
  walk(root, "", 0);
  return out;
}

const OPEN_ROOTS = ["fields.", "enrichment.", "payload."];

let known: Set<string> | undefined;

/** Whether `name` addresses the EnrichedEvent schema itself. */
function isKnownPath(name: string): boolean {
  known ??= schemaPaths();
  return known.has(name) || OPEN_ROOTS.some((r) => name.startsWith(r));
}

/** Field names a detection reads (keywords and `condition` excluded). */
function detectionFields(detection: unknown): string[] {
  const out: string[] = [];
  if (!detection || typeof detection !== "object") return out;
  for (const [id, v] of Object.entries(detection)) {
    if (id === "condition" || id === "timeframe") continue;
    const maps = Array.isArray(v) ? v : [v];
    for (const m of maps) {
      if (!m || typeof m !== "object" || Array.isArray(m)) continue;
      for (const key of Object.keys(m)) {
        const name = key.split("|")[0];
        if (name !== "" && !out.includes(name)) out.push(name);
      }
    }
  }
  return out;
}

/**
 * Generic Sigma categories whose field names the Sigma taxonomy defines
 * apart from any log source (W3C names for webserver/proxy, src_ip/dst_port
 * for firewall, query/answer for dns). Their events come from our parser's
 * entities, so a name the mapping does not send there reads nothing. Rules
 * of a product (AWS CloudTrail `eventName`, auditd `a0`, Windows EventData
 * `Image`) name the product's own keys, which the parser keeps in `fields`
 * or the payload: checking those would only produce noise.
 */
const TAXONOMY_CATEGORIES: ReadonlySet<string> = new Set([
  "webserver",
  "proxy",
  "firewall",
  "dns",
]);

/**
 * Warnings for the compiled rules of `set` in a generic taxonomy category
 * whose fields neither the mapping nor the EnrichedEvent schema knows. The
 * rule files are read again (only those holding such a rule), since
 * compiled rules keep predicates, not their YAML.
 */
export async function unknownFieldWarnings(
  set: RuleSet,
): Promise<FieldWarning[]> {
  const byFile = new Map<string, Set<string>>();
  for (const r of set.rules) {
    const category = r.logsource.category?.toLowerCase();
    if (category === undefined || !TAXONOMY_CATEGORIES.has(category)) continue;
    let ids = byFile.get(r.meta.file);
    if (!ids) byFile.set(r.meta.file, ids = new Set());
    ids.add(r.meta.id);
  }
  const mapped = set.mapping.fieldmappings;
  const out: FieldWarning[] = [];
  for (const [file, ids] of byFile) {
    let text: string;
    try {
      text = await Deno.readTextFile(file);
    } catch {
      continue; // compiled from it a moment ago; gone now is not a finding
    }
    for (const sd of parseRuleText(file, text, [])) {
      const d = sd.doc as Record<string, unknown> | null;
      if (!d || typeof d.id !== "string" || !ids.has(d.id)) continue;
      const fields = detectionFields(d.detection).filter((f) =>
        !mapped.has(f) && !isKnownPath(f)
      );
      if (fields.length === 0) continue;
      out.push({
        file,
        ruleId: d.id,
        title: typeof d.title === "string" ? d.title : undefined,
        fields,
        reason: `${fields.length > 1 ? "fields" : "field"} ${
          fields.join(", ")
        } neither mapped nor an EnrichedEvent field: only an event carrying that key itself (fields, JSON payload) can match, so on parsed logs conditions on it never hold; map it with --mapping`,
      });
    }
  }
  return out;
}
