/**
 * The ingest core: turns request bodies into RawEvents. No I/O here: the
 * HTTP app and the syslog receivers call these functions with text and a
 * stamp, and get RawEvents or field-level errors back.
 */
import { Ajv2020 } from "ajv/dist/2020.js";
import type { ErrorObject } from "ajv/dist/2020.js";
import common from "../../schemas/common.schema.json" with { type: "json" };
import type { RawEvent, Transport } from "../shared/contracts/mod.ts";
import type { OutputRecord } from "../shared/io/types.ts";
import { randomEventId } from "../shared/ids.ts";
import inputSchema from "./event_input.schema.json" with { type: "json" };
import { DEFAULT_MAX_JSON_DEPTH, exceedsJsonDepth } from "./json_depth.ts";

/** What ingest stamps on every event it accepts. */
export interface EventStamp {
  tenant: string;
  /** Host name of this ingest node. */
  ingestNode: string;
  transport: Transport;
  /** RFC 3339 UTC time of receipt, shared by all events of one request. */
  receivedAt: string;
  /** Source name for events that do not name one. @default "http" */
  sourceName: string;
  /** Format hint for events that do not carry one (e.g. X-Log-Format). */
  format?: string;
}

/** Limits applied while decoding one request body. */
export interface DecodeLimits {
  /** Deepest object/array nesting inside one event. @default 32 */
  maxDepth?: number;
  /** Most events in one batch. @default 10000 */
  maxBatchEvents?: number;
}

/** The problem with one item of a request, for the 400 answer. */
export interface ItemError {
  /** 0-based position in a JSON array batch. */
  index?: number;
  /** 1-based line of an NDJSON or text batch. */
  line?: number;
  errors: string[];
}

/** Why a body was refused, ready for a 400 or 413 answer. */
export interface DecodeFailure {
  ok: false;
  status: 400 | 413;
  error:
    | "malformed_json"
    | "too_deep"
    | "invalid_event"
    | "empty_body"
    | "too_many_events";
  message: string;
  details?: ItemError[];
}

/** Events decoded from a body, all stamped and valid, with their NDJSON lines. */
export interface DecodeSuccess {
  ok: true;
  records: OutputRecord[];
}

/** Result of decoding one request body. */
export type DecodeResult = DecodeSuccess | DecodeFailure;

/** How a body is framed, from its content type. */
export type BodyKind = "json" | "ndjson" | "text";

/** Default most events in one batch. */
export const DEFAULT_MAX_BATCH_EVENTS = 10_000;

/** Most item errors reported in one 400 answer, so answers stay small. */
const MAX_REPORTED_ITEMS = 20;

/** Fields ingest stamps itself: a client sending them gets a precise 400. */
const STAMPED_FIELDS = new Set([
  "event_id",
  "received_at",
  "tenant",
  "transport",
  "ingest_node",
]);

type CompiledValidator = ((v: unknown) => boolean) & {
  errors?: ErrorObject[] | null;
};

let envelopeValidator: CompiledValidator | undefined;

function validator(): CompiledValidator {
  if (!envelopeValidator) {
    const ajv = new Ajv2020({ allErrors: true, strict: true });
    ajv.addSchema(common);
    envelopeValidator = ajv.compile(inputSchema) as CompiledValidator;
  }
  return envelopeValidator;
}

/** Readable, field-level messages for ajv errors. */
function describeErrors(errors: ErrorObject[]): string[] {
  const out: string[] = [];
  for (const e of errors) {
    // oneOf reports each branch and then itself; the summary is enough.
    if (e.keyword === "type" && e.schemaPath.includes("/oneOf/")) continue;
    const where = e.instancePath || "(root)";
    if (e.keyword === "additionalProperties") {
      const prop =
        (e.params as { additionalProperty: string }).additionalProperty;
      out.push(
        STAMPED_FIELDS.has(prop)
          ? `/${prop} is set by ingest and must not be sent`
          : `${where} must NOT have additional property '${prop}'`,
      );
    } else if (e.keyword === "oneOf" && e.instancePath === "/payload") {
      out.push("/payload must be a string (a log line) or a JSON object");
    } else {
      out.push(`${where} ${e.message}`);
    }
  }
  return out;
}

/**
 * Builds a RawEvent from one decoded JSON value: a string is a raw log line;
 * an object with a `payload` key is an envelope (validated against
 * `event_input.schema.json`); any other object is itself the payload.
 * Returns error messages instead when the value is not acceptable.
 */
export function eventFromValue(
  value: unknown,
  stamp: EventStamp,
): RawEvent | string[] {
  if (typeof value === "string") {
    return makeEvent(value, stamp.sourceName, stamp.format, undefined, stamp);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return [
      `(root) must be a JSON object or a string, got ${describeType(value)}`,
    ];
  }
  const obj = value as Record<string, unknown>;
  if (!Object.hasOwn(obj, "payload")) {
    return makeEvent(obj, stamp.sourceName, stamp.format, undefined, stamp);
  }
  const validate = validator();
  if (!validate(obj)) return describeErrors(validate.errors ?? []);
  return makeEvent(
    obj.payload as string | Record<string, unknown>,
    (obj.source_name as string | undefined) ?? stamp.sourceName,
    (obj.format as string | undefined) ?? stamp.format,
    obj.ground_truth as RawEvent["ground_truth"],
    stamp,
  );
}

function makeEvent(
  payload: string | Record<string, unknown>,
  sourceName: string,
  format: string | undefined,
  groundTruth: RawEvent["ground_truth"],
  stamp: EventStamp,
): RawEvent {
  // Fields in schema order (format before payload), as rawEventLine writes them.
  const ev: RawEvent = format === undefined
    ? {
      record: "raw_event",
      event_id: randomEventId(),
      received_at: stamp.receivedAt,
      tenant: stamp.tenant,
      source_name: sourceName,
      transport: stamp.transport,
      ingest_node: stamp.ingestNode,
      payload,
    }
    : {
      record: "raw_event",
      event_id: randomEventId(),
      received_at: stamp.receivedAt,
      tenant: stamp.tenant,
      source_name: sourceName,
      transport: stamp.transport,
      ingest_node: stamp.ingestNode,
      format,
      payload,
    };
  if (groundTruth !== undefined) ev.ground_truth = groundTruth;
  return ev;
}

/**
 * The NDJSON line of a RawEvent. When the payload is a JSON object whose
 * source text is known and holds no line break, that text is spliced in
 * instead of serializing the parsed object again: same JSON value, half the
 * work on the hot path.
 */
export function rawEventLine(ev: RawEvent, payloadText?: string): string {
  if (payloadText === undefined) return JSON.stringify(ev);
  let line = '{"record":"raw_event","event_id":"' + ev.event_id +
    '","received_at":"' + ev.received_at + '","tenant":' +
    JSON.stringify(ev.tenant) + ',"source_name":' +
    JSON.stringify(ev.source_name) + ',"transport":"' + ev.transport +
    '","ingest_node":' + JSON.stringify(ev.ingest_node);
  if (ev.format !== undefined) line += ',"format":' + JSON.stringify(ev.format);
  line += ',"payload":' + payloadText;
  if (ev.ground_truth !== undefined) {
    line += ',"ground_truth":' + JSON.stringify(ev.ground_truth);
  }
  return line + "}";
}

/** True when `text` can be spliced into an NDJSON line as it is. */
function spliceable(text: string): boolean {
  return text.indexOf("\n") === -1 && text.indexOf("\r") === -1;
}

/** The output record of `ev`; `text` is the source JSON when `ev.payload` is it whole. */
function output(ev: RawEvent, text?: string): OutputRecord {
  return {
    record: ev,
    line: rawEventLine(
      ev,
      text !== undefined && typeof ev.payload === "object" && spliceable(text)
        ? text
        : undefined,
    ),
    forwarded: false,
  };
}

/** True when `value` is a JSON object taken whole as the payload. */
function isBarePayload(value: unknown): boolean {
  return typeof value === "object" && value !== null && !Array.isArray(value) &&
    !Object.hasOwn(value, "payload");
}

function describeType(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  return typeof v === "object" ? "an object" : `a ${typeof v}`;
}

function fail(
  status: 400 | 413,
  error: DecodeFailure["error"],
  message: string,
  details?: ItemError[],
): DecodeFailure {
  const f: DecodeFailure = { ok: false, status, error, message };
  if (details) f.details = details;
  return f;
}

/** Strips one trailing line break (curl --data-binary @file adds one). */
function chompLine(text: string): string {
  if (text.endsWith("\r\n")) return text.slice(0, -2);
  if (text.endsWith("\n")) return text.slice(0, -1);
  return text;
}

function parseJson(text: string): { value: unknown } | { error: string } {
  try {
    return { value: JSON.parse(text) };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

/**
 * Decodes the body of `POST /events`: one JSON value (`json`) or one raw log
 * line (`text`).
 */
export function decodeSingle(
  text: string,
  kind: "json" | "text",
  stamp: EventStamp,
  limits: DecodeLimits = {},
): DecodeResult {
  if (kind === "text") {
    const line = chompLine(text);
    if (line.length === 0) {
      return fail(400, "empty_body", "the request body is empty");
    }
    return {
      ok: true,
      records: [
        output(
          makeEvent(line, stamp.sourceName, stamp.format, undefined, stamp),
        ),
      ],
    };
  }
  if (text.length === 0) {
    return fail(400, "empty_body", "the request body is empty");
  }
  const maxDepth = limits.maxDepth ?? DEFAULT_MAX_JSON_DEPTH;
  if (exceedsJsonDepth(text, maxDepth)) {
    return fail(
      400,
      "too_deep",
      `the JSON body nests deeper than ${maxDepth} levels`,
    );
  }
  const parsed = parseJson(text);
  if ("error" in parsed) {
    return fail(400, "malformed_json", `malformed JSON: ${parsed.error}`);
  }
  const ev = eventFromValue(parsed.value, stamp);
  if (Array.isArray(ev)) {
    return fail(400, "invalid_event", "the event is invalid", [{
      errors: ev,
    }]);
  }
  return {
    ok: true,
    records: [output(ev, isBarePayload(parsed.value) ? text : undefined)],
  };
}

/**
 * Decodes the body of `POST /events/batch`: a JSON array (`json`), NDJSON
 * (`ndjson`, one JSON value a line) or raw log lines (`text`, one event a
 * line). Blank lines are skipped. All or nothing: one bad item refuses the
 * whole batch, so a client can simply retry it after fixing.
 */
export function decodeBatch(
  text: string,
  kind: BodyKind,
  stamp: EventStamp,
  limits: DecodeLimits = {},
): DecodeResult {
  const maxEvents = limits.maxBatchEvents ?? DEFAULT_MAX_BATCH_EVENTS;
  const maxDepth = limits.maxDepth ?? DEFAULT_MAX_JSON_DEPTH;
  const tooMany = (n: number) =>
    fail(
      413,
      "too_many_events",
      `the batch holds ${n} events; at most ${maxEvents} are accepted`,
    );

  if (kind === "json") {
    if (text.length === 0) {
      return fail(400, "empty_body", "the request body is empty");
    }
    // The array itself is one level.
    if (exceedsJsonDepth(text, maxDepth + 1)) {
      return fail(
        400,
        "too_deep",
        `an event nests deeper than ${maxDepth} levels`,
      );
    }
    const parsed = parseJson(text);
    if ("error" in parsed) {
      return fail(400, "malformed_json", `malformed JSON: ${parsed.error}`);
    }
    const items = parsed.value;
    if (!Array.isArray(items)) {
      return fail(
        400,
        "invalid_event",
        "a JSON batch must be an array of events",
      );
    }
    if (items.length > maxEvents) return tooMany(items.length);
    if (items.length === 0) {
      return fail(400, "empty_body", "the batch holds no events");
    }
    const records: OutputRecord[] = new Array(items.length);
    const details: ItemError[] = [];
    let bad = 0;
    for (let i = 0; i < items.length; i++) {
      const ev = eventFromValue(items[i], stamp);
      if (Array.isArray(ev)) {
        if (bad++ < MAX_REPORTED_ITEMS) details.push({ index: i, errors: ev });
      } else records[i] = output(ev);
    }
    if (bad > 0) return invalidBatch(bad, details);
    return { ok: true, records };
  }

  const lines = text.split("\n");
  let count = 0;
  for (let i = 0; i < lines.length; i++) {
    let l = lines[i];
    if (l.endsWith("\r")) l = lines[i] = l.slice(0, -1);
    if (l.length > 0) count++;
  }
  if (count > maxEvents) return tooMany(count);
  if (count === 0) return fail(400, "empty_body", "the batch holds no events");

  const records: OutputRecord[] = [];
  if (kind === "text") {
    for (const l of lines) {
      if (l.length > 0) {
        records.push(
          output(
            makeEvent(l, stamp.sourceName, stamp.format, undefined, stamp),
          ),
        );
      }
    }
    return { ok: true, records };
  }

  if (exceedsJsonDepth(text, maxDepth)) {
    return fail(
      400,
      "too_deep",
      `an event nests deeper than ${maxDepth} levels`,
    );
  }
  const details: ItemError[] = [];
  let bad = 0;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    if (l.length === 0) continue;
    const parsed = parseJson(l);
    const ev = "error" in parsed
      ? [`malformed JSON: ${parsed.error}`]
      : eventFromValue(parsed.value, stamp);
    if (Array.isArray(ev)) {
      if (bad++ < MAX_REPORTED_ITEMS) details.push({ line: i + 1, errors: ev });
    } else if (bad === 0) {
      // A line never holds a line break, so it splices as it is.
      records.push(
        output(
          ev,
          isBarePayload((parsed as { value: unknown }).value) ? l : undefined,
        ),
      );
    }
  }
  if (bad > 0) return invalidBatch(bad, details);
  return { ok: true, records };
}

function invalidBatch(bad: number, details: ItemError[]): DecodeFailure {
  const more = bad > details.length ? ` (first ${details.length} listed)` : "";
  return fail(
    400,
    "invalid_event",
    `${bad} event(s) in the batch are invalid${more}; nothing was accepted`,
    details,
  );
}
