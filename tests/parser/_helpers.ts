/** Shared helpers for the parser tests: RawEvent builders and a collecting emitter. */
import type {
  Alert,
  DeadLetter,
  EnrichedEvent,
  RawEvent,
} from "../../stages/shared/contracts/mod.ts";
import type { AnyRecord } from "../../stages/shared/records.ts";
import { createParser, type ParserOptions } from "../../stages/parser/mod.ts";
import { runStage } from "../../scripts/kafka/stage_proc.ts";
import { runPipe } from "../../scripts/pipe.ts";

/** Receipt time used by the tests (resolves RFC 3164's missing year to 2026). */
export const RECEIVED_AT = "2026-12-01T00:00:00.000Z";

let counter = 0;

/** A RawEvent around `payload`. */
export function rawEvent(
  payload: string | Record<string, unknown>,
  extra: Partial<RawEvent> = {},
): RawEvent {
  counter++;
  return {
    record: "raw_event",
    event_id: `00000000-0000-4000-8000-${
      counter.toString(16).padStart(12, "0")
    }`,
    received_at: RECEIVED_AT,
    tenant: "acme",
    source_name: "test",
    transport: "file",
    ingest_node: "test-node",
    payload,
    ...extra,
  };
}

/** Runs RawEvents through the parser Transform; returns everything emitted. */
export function runParser(
  raws: RawEvent[],
  opts: ParserOptions = {},
): AnyRecord[] {
  const parser = createParser(opts);
  const out: AnyRecord[] = [];
  const emitter = {
    emit: (r: AnyRecord) => out.push(r),
    forward: (r: AnyRecord) => out.push(r),
  };
  raws.forEach((r, i) => parser.push(r, emitter, { line: i + 1 }));
  return out;
}

/** Parses one payload; returns the single record emitted. */
export function parseOne(
  payload: string | Record<string, unknown>,
  extra: Partial<RawEvent> = {},
  opts: ParserOptions = {},
): EnrichedEvent | DeadLetter {
  const out = runParser([rawEvent(payload, extra)], opts);
  if (out.length !== 1) {
    throw new Error(`expected one record, got ${out.length}`);
  }
  return out[0] as EnrichedEvent | DeadLetter;
}

/** Reads a shared dataset's lines (CRLF-tolerant, like the NDJSON framer). */
export async function datasetLines(name: string): Promise<string[]> {
  const url = new URL(`../../../shared/datasets/logs/${name}`, import.meta.url);
  const text = await Deno.readTextFile(url);
  const lines = text.split(/\r?\n/);
  if (lines[lines.length - 1] === "") lines.pop();
  return lines;
}

/**
 * The parts of `actual` named by `expected` (deep), so a test can compare
 * only what it asserts with assert.deepEqual.
 */
export function pick(actual: unknown, expected: unknown): unknown {
  if (
    typeof expected !== "object" || expected === null ||
    Array.isArray(expected) ||
    typeof actual !== "object" || actual === null
  ) return actual;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(expected)) {
    out[k] = pick(
      (actual as Record<string, unknown>)[k],
      (expected as Record<string, unknown>)[k],
    );
  }
  return out;
}

/** Runs the sentinel-parser binary's entry on `stdin`; records parsed from stdout. */
export async function runParserCli(args: string[], stdin: string): Promise<{
  code: number;
  // deno-lint-ignore no-explicit-any
  records: any[];
  stderr: string;
}> {
  const r = await runStage(
    "sentinel-parser",
    ["--log-level", "warn", ...args],
    {
      stdin: new TextEncoder().encode(stdin),
    },
  );
  const lines = new TextDecoder().decode(r.stdout).split("\n").filter((l) =>
    l !== ""
  );
  return {
    code: r.code,
    records: lines.map((l) => JSON.parse(l)),
    stderr: r.stderr,
  };
}

/**
 * Raw log lines through `sentinel-parser --in-format lines |
 * sentinel-detector <detectorArgs>` as processes; both must exit 0. Returns
 * every record the detector wrote and, apart, its alerts.
 */
export async function linesThroughDetector(
  lines: string[],
  detectorArgs: string[],
): Promise<{ out: AnyRecord[]; alerts: Alert[] }> {
  const result = await runPipe([
    { bin: "sentinel-parser", args: ["--in-format", "lines"] },
    { bin: "sentinel-detector", args: detectorArgs },
  ], { input: new TextEncoder().encode(lines.join("\n") + "\n") });
  for (const s of result.stages) {
    if (s.code !== 0) throw new Error(`${s.bin} exited ${s.code}: ${s.stderr}`);
  }
  const text = new TextDecoder().decode(result.stdout).trim();
  const out = text === ""
    ? []
    : text.split("\n").map((l) => JSON.parse(l) as AnyRecord);
  return {
    out,
    alerts: out.filter((r) => r.record === "alert") as unknown as Alert[],
  };
}

/**
 * A folder of the SigmaHQ corpus beside the checkout
 * (`../shared/sigmahq/rules/<sub>/`), or null when it is not there (the
 * tests that need it are then ignored, and say so).
 */
export function sigmaHqRules(sub: string): string | null {
  const url = new URL(
    `../../../shared/sigmahq/rules/${sub}/`,
    import.meta.url,
  );
  try {
    return Deno.statSync(url).isDirectory ? url.pathname : null;
  } catch {
    return null;
  }
}
