/**
 * What a person reads at the end of the demo pipe, and how query results are
 * printed in a terminal.
 */
import type { StoreStats } from "./writer.ts";

/** Inputs of {@link summaryText}. */
export interface SummaryFacts {
  stats: StoreStats;
  /** Where the records went, e.g. "chdb:./sentinel-data". */
  store: string;
  seconds: number;
  /** Dead letters the runner made from unreadable sink input, by reason code. */
  inputDeadLetters?: Record<string, number>;
}

const fmt = (n: number) => n.toLocaleString("en-US");

/** The end-of-run block: events by category, alerts by rule, dead letters, rate. */
export function summaryText(f: SummaryFacts): string {
  const s = f.stats;
  const total = s.stored.events + s.stored.alerts + s.stored.dead_letters +
    s.stored.raw_events;
  const lines: string[] = [];
  lines.push(`── sentinel-sink summary (${f.store}) ──`);
  const cats = Object.entries(s.events_by_category).sort((a, b) => b[1] - a[1]);
  lines.push(
    `events stored: ${fmt(s.stored.events)}` +
      (cats.length
        ? `  (${cats.map(([c, n]) => `${c} ${fmt(n)}`).join(", ")})`
        : ""),
  );
  if (s.stored.raw_events) {
    lines.push(`raw events stored: ${fmt(s.stored.raw_events)}`);
  }
  const rules = Object.values(s.alerts_by_rule).sort((a, b) =>
    b.count - a.count || a.title.localeCompare(b.title)
  );
  lines.push(`alerts: ${fmt(s.stored.alerts)}${rules.length ? "" : " (none)"}`);
  const w = Math.max(0, ...rules.map((r) => String(r.count).length));
  for (const r of rules) {
    lines.push(`  ${String(r.count).padStart(w)} × ${r.title} [${r.kind}]`);
  }
  const dl = Object.entries(s.dead_letters_by_reason).sort((a, b) =>
    b[1] - a[1]
  );
  lines.push(
    `dead letters: ${fmt(s.stored.dead_letters)}${dl.length ? "" : " (none)"}`,
  );
  for (const [k, n] of dl) lines.push(`  ${fmt(n)} ${k}`);
  if (s.rejected) {
    lines.push(`  (${fmt(s.rejected)} of them refused by the store)`);
  }
  const rate = total / Math.max(f.seconds, 1e-9);
  lines.push(
    `elapsed: ${f.seconds.toFixed(2)} s, ${fmt(total)} records at ${
      fmt(Math.round(rate))
    }/s` +
      (s.retries ? `, ${s.retries} retries` : ""),
  );
  return lines.join("\n");
}

/** Output formats of `sentinel-sink query`. */
export type QueryFormat = "table" | "json" | "csv";

/** The ClickHouse output format a {@link QueryFormat} is fetched in. */
export const CLICKHOUSE_FORMAT: Record<QueryFormat, string> = {
  table: "JSONCompact",
  json: "JSONEachRow",
  csv: "CSVWithNames",
};

/**
 * Output settings each {@link QueryFormat} is fetched with. The table is
 * parsed in JS, whose numbers hold 53 bits: 64-bit and wider integers and
 * decimals arrive as strings, printed as the database wrote them. JSON
 * lines are passed through as text, exact as they are, so integers stay
 * numbers there (`count()` is a number to a JSON consumer) on the server
 * path too, whose default differs. Both quote NaN and ±inf ("nan", "inf"),
 * which JSON otherwise turns into null.
 */
export const QUERY_SETTINGS: Record<
  QueryFormat,
  Record<string, number> | undefined
> = {
  table: {
    output_format_json_quote_64bit_integers: 1,
    output_format_json_quote_decimals: 1,
    output_format_json_quote_denormals: 1,
  },
  json: {
    output_format_json_quote_64bit_integers: 0,
    output_format_json_quote_denormals: 1,
  },
  csv: undefined,
};

/**
 * Renders a `JSONCompact` result as aligned columns (numbers right-aligned),
 * with the row count below.
 */
export function renderTable(jsonCompact: string): string {
  if (!jsonCompact.trim()) return "(no result)";
  const r = JSON.parse(jsonCompact) as {
    meta: { name: string; type: string }[];
    data: unknown[][];
    rows: number;
  };
  const names = r.meta.map((m) => m.name);
  const numeric = r.meta.map((m) =>
    /^(Nullable\()?(U?Int|Float|Decimal)/.test(m.type)
  );
  const cells = r.data.map((row) => row.map(cellText));
  // 0/0 comes as "-nan" in JSON but "nan" in CSV and TSV: NaN has no sign
  // worth showing.
  for (const row of cells) {
    for (let i = 0; i < row.length; i++) {
      if (numeric[i] && row[i] === "-nan") row[i] = "nan";
    }
  }
  const widths = names.map((n, i) =>
    Math.min(80, Math.max(n.length, ...cells.map((c) => c[i].length)))
  );
  const pad = (s: string, i: number) => {
    const t = s.length > widths[i] ? s.slice(0, widths[i] - 1) + "…" : s;
    return numeric[i] ? t.padStart(widths[i]) : t.padEnd(widths[i]);
  };
  const out = [
    names.map(pad).join("  ").trimEnd(),
    widths.map((w) => "─".repeat(w)).join("  "),
    ...cells.map((c) => c.map(pad).join("  ").trimEnd()),
    `(${r.rows} row${r.rows === 1 ? "" : "s"})`,
  ];
  return out.join("\n");
}

function cellText(v: unknown): string {
  if (v === null || v === undefined) return "NULL";
  if (typeof v === "string") return v.replace(/\s+/g, " ");
  return JSON.stringify(v);
}
