/**
 * Record routing and dead letters. Every NDJSON line in the pipe carries a
 * `record` discriminator, so each line says unambiguously what it is.
 */
import type {
  Alert,
  DeadLetter,
  EnrichedEvent,
  RawEvent,
  Stage,
} from "./contracts/mod.ts";
import { stableId } from "./ids.ts";

/** Any record that travels through the pipe. */
export type AnyRecord = RawEvent | EnrichedEvent | Alert | DeadLetter;

/** The values of the `record` discriminator. */
export type RecordType = AnyRecord["record"];

/** All record types, in pipeline order. */
export const RECORD_TYPES: readonly RecordType[] = [
  "raw_event",
  "enriched_event",
  "alert",
  "dead_letter",
];

const KNOWN = new Set<string>(RECORD_TYPES);

/** True when `value` is an object with a known `record` discriminator. */
export function isRecord(value: unknown): value is AnyRecord {
  return typeof value === "object" && value !== null &&
    KNOWN.has((value as { record?: string }).record as string);
}

/** Most bytes of offending input kept in a dead letter. */
export const DEAD_LETTER_INPUT_MAX = 4096;

/** The `reason_code` values of a dead letter. */
export type DeadLetterCode = DeadLetter["reason_code"];

/** Optional context for {@link deadLetter}. */
export interface DeadLetterContext {
  /** 1-based input line number. */
  line?: number;
  event_id?: string;
  tenant?: string;
  /** Wall-clock time; default now. */
  at?: Date;
  /**
   * Where a source without line numbers read the input (Kafka:
   * `topic[partition]@offset`): part of the identity, so two identical bad
   * messages stay two dead letters while a redelivery of one collapses.
   */
  position?: string;
  /**
   * Size in bytes of the whole offending input when `input` is only its
   * head (an oversize line is never held whole).
   */
  input_bytes?: number;
}

const encoder = new TextEncoder();

/**
 * Builds a dead letter for `input` (the offending line, or a record that is
 * serialized for the purpose). The input is cut to
 * {@link DEAD_LETTER_INPUT_MAX} bytes on a character boundary.
 */
export function deadLetter(
  stage: Stage,
  code: DeadLetterCode,
  reason: string,
  input: string | unknown,
  ctx: DeadLetterContext = {},
): DeadLetter {
  const text = typeof input === "string" ? input : safeStringify(input);
  const bytes = encoder.encode(text);
  let kept = text;
  const inputBytes = Math.max(ctx.input_bytes ?? 0, bytes.length);
  if (bytes.length > DEAD_LETTER_INPUT_MAX) {
    kept = new TextDecoder().decode(bytes.subarray(0, DEAD_LETTER_INPUT_MAX))
      .replace(/\uFFFD$/, "");
  }
  const dl: DeadLetter = {
    record: "dead_letter",
    dead_letter_id: deadLetterId(stage, code, text, inputBytes, ctx),
    stage,
    reason_code: code,
    reason,
    at: (ctx.at ?? new Date()).toISOString(),
    input: kept,
    input_bytes: inputBytes,
    input_truncated: inputBytes > bytes.length || kept.length < text.length,
  };
  if (ctx.event_id !== undefined) dl.event_id = ctx.event_id;
  if (ctx.tenant !== undefined) dl.tenant = ctx.tenant;
  if (ctx.line !== undefined) dl.line = ctx.line;
  return dl;
}

/**
 * The input position is part of the identity: two identical bad lines are
 * two dead letters, while a replay of the same input collapses. A source
 * position (`topic[partition]@offset`) names the input for every stage that
 * reads it, so its id leaves the stage out: one bad message on
 * events.enriched, rejected by both the detector and the sink for the same
 * reason, counts once in unique-id totals (the dashboards'), while the
 * table keeps a row per rejecting stage (its sort key has the stage).
 * Line numbers are only this stage's view of a pipe, so they keep the stage.
 */
function deadLetterId(
  stage: Stage,
  code: DeadLetterCode,
  text: string,
  inputBytes: number,
  ctx: DeadLetterContext,
): string {
  if (ctx.position !== undefined && ctx.position !== "") {
    return stableId("position", code, ctx.position, text, inputBytes);
  }
  return ctx.position === undefined && ctx.input_bytes === undefined
    ? stableId(stage, code, ctx.event_id ?? "", ctx.line ?? "", text)
    : stableId(
      stage,
      code,
      ctx.event_id ?? "",
      ctx.line ?? "",
      text,
      ctx.position ?? "",
      inputBytes,
    );
}

function safeStringify(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}
