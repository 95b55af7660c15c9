/**
 * Turns stored rows back into records, so what the sink stored can be
 * compared with (or re-exported as) what it received. Absent optional values
 * are NULL (or empty for arrays and maps) in the tables and are left out
 * again here; IPv4 addresses come back from their v4-mapped IPv6 form.
 */
import type { AnyRecord } from "../shared/records.ts";
import type { TableName } from "./store.ts";

/** Output settings that make ClickHouse write rows close to the contract. */
export const READBACK_SETTINGS =
  "SETTINGS date_time_output_format = 'iso', output_format_json_quote_64bit_integers = 0, output_format_json_named_tuples_as_objects = 1";

/** The SELECT that reads a table for {@link recordFromRow}, deduplicated. */
export function readbackSql(
  table: TableName,
  database = "sentinel",
  where = "",
): string {
  const cols = table === "dead_letters" || table === "alerts"
    ? "*"
    : "* EXCEPT (inserted_at)";
  return `SELECT ${cols} FROM ${database}.${table} FINAL ${where} ${READBACK_SETTINGS}`;
}

const RECORD: Record<TableName, AnyRecord["record"]> = {
  events: "enriched_event",
  alerts: "alert",
  dead_letters: "dead_letter",
  raw_events: "raw_event",
};

// Maps and arrays that the contract requires even when empty.
const KEEP_EMPTY = new Set([
  "fields",
  "group",
  "tags",
  "tactics",
  "techniques",
  "event_ids",
]);

/** One stored row (from `FORMAT JSONEachRow` with {@link READBACK_SETTINGS}) as a record. */
export function recordFromRow(
  table: TableName,
  row: Record<string, unknown>,
): AnyRecord {
  const { payload_type, inserted_at: _i, ...rest } = row;
  const out = prune({ record: RECORD[table], ...rest }) as Record<
    string,
    unknown
  >;
  if (
    (table === "events" || table === "raw_events") && payload_type === "json"
  ) {
    out.payload = JSON.parse(out.payload as string);
  }
  if (table === "events" && out.payload === undefined) out.payload = "";
  if (table === "events" && out.fields === undefined) out.fields = {};
  return out as unknown as AnyRecord;
}

const V4_MAPPED = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/;

function prune(v: unknown, key = ""): unknown {
  if (v === null) return undefined;
  if (Array.isArray(v)) {
    if (v.length === 0 && !KEEP_EMPTY.has(key)) return undefined;
    return v.map((x) => prune(x) ?? null);
  }
  if (typeof v === "object") {
    const o: Record<string, unknown> = {};
    let n = 0;
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      const p = prune(x, k);
      if (p !== undefined) {
        o[k] = p;
        n++;
      }
    }
    return n === 0 && !KEEP_EMPTY.has(key) ? undefined : o;
  }
  if (typeof v === "string" && key === "ip") return v.replace(V4_MAPPED, "$1");
  return v;
}
