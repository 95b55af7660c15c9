/**
 * Replay of recorded traffic (`--replay FILE`): NDJSON RawEvents are sent
 * unchanged (same ids, so a replay into an idempotent store is harmless);
 * other JSON objects (ECS documents) and raw log lines are wrapped as
 * RawEvents with transport `replay`. Each record's original time is found
 * so `--speed` can keep the original spacing.
 */
import type { DeadLetter, RawEvent } from "../shared/contracts/mod.ts";
import { validateRecord } from "../shared/contracts/mod.ts";
import { uuidFromRandom } from "../shared/ids.ts";
import { deadLetter } from "../shared/records.ts";
import { dayExists, yearlessMs } from "../parser/time.ts";
import { SeededRandom } from "./prng.ts";
import { isoTime, rfc3339Representable } from "./formats.ts";

/** Options of {@link ReplayDecoder}. */
export interface ReplayOptions {
  /** Tenant of wrapped records. @default "default" */
  tenant?: string;
  /** `source_name` of wrapped records without a host. */
  sourceName: string;
  /** `ingest_node` of wrapped records. */
  node: string;
  /** Seed of the ids minted for wrapped records. */
  seed: string;
  /** Wall clock for records without a time. @default Date.now */
  nowMs?: () => number;
}

/** One decoded replay line. */
export type ReplayItem =
  | { event: RawEvent; timeMs?: number }
  | { dead: DeadLetter };

const MONTHS: Record<string, number> = {
  Jan: 0,
  Feb: 1,
  Mar: 2,
  Apr: 3,
  May: 4,
  Jun: 5,
  Jul: 6,
  Aug: 7,
  Sep: 8,
  Oct: 9,
  Nov: 10,
  Dec: 11,
};

const RFC3164 =
  /^(?:<\d{1,3}>)?([A-Z][a-z]{2}) ([ \d]\d) (\d\d):(\d\d):(\d\d) (\S+) /;
const APACHE =
  /\[(\d\d)\/([A-Z][a-z]{2})\/(\d{4}):(\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)\]/;
const ISO_PREFIX =
  /^(?:<\d{1,3}>\d? ?)?(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d))/;

/** Decodes replay lines one by one. */
export class ReplayDecoder {
  readonly #opts: ReplayOptions;
  readonly #ids: SeededRandom;
  readonly #now: () => number;
  /**
   * Year assumed for RFC 3164 lines (they carry none): chosen by the first
   * such line (the parser's rule, {@link yearlessMs}), then carried forward.
   */
  #year = NaN;
  #lastMonth = -1;
  #timeFallbacks = 0;
  #firstFallbackLine: number | undefined;

  constructor(opts: ReplayOptions) {
    this.#opts = opts;
    this.#ids = new SeededRandom(`${opts.seed}|replay`);
    this.#now = opts.nowMs ?? Date.now;
  }

  /**
   * Lines whose own time could not be used: a JSON `@timestamp` that does
   * not parse, or whose year is outside RFC 3339's 0000–9999 (JavaScript
   * reads `+275760-09-13T00:00:00Z`, which no RawEvent may carry).
   */
  get timeFallbacks(): number {
    return this.#timeFallbacks;
  }

  /** Line number of the first such line. */
  get firstFallbackLine(): number | undefined {
    return this.#firstFallbackLine;
  }

  /** Decodes one line (1-based number `line`). */
  decode(text: string, line: number): ReplayItem {
    const trimmed = text.trimStart();
    if (trimmed.startsWith("{")) {
      let obj: unknown;
      try {
        obj = JSON.parse(trimmed);
      } catch (e) {
        return {
          dead: deadLetter(
            "generator",
            "invalid_json",
            `replay line ${line}: not valid JSON: ${(e as Error).message}`,
            text,
            { line },
          ),
        };
      }
      if (typeof obj !== "object" || obj === null || Array.isArray(obj)) {
        return this.#wrap(text, line);
      }
      const o = obj as Record<string, unknown>;
      if (o.record === "raw_event") {
        const errors = validateRecord(o);
        if (errors) {
          return {
            dead: deadLetter(
              "generator",
              "schema",
              `replay line ${line}: invalid RawEvent: ${errors.join("; ")}`,
              text,
              { line },
            ),
          };
        }
        const ev = o as unknown as RawEvent;
        return { event: ev, timeMs: Date.parse(ev.received_at) };
      }
      if (typeof o.record === "string") {
        return {
          dead: deadLetter(
            "generator",
            "unknown_record",
            `replay line ${line}: a '${o.record}' record cannot be replayed; expected raw_event, a JSON log object or a log line`,
            text,
            { line },
          ),
        };
      }
      let timeMs: number | undefined;
      if (o["@timestamp"] !== undefined) {
        const ts = typeof o["@timestamp"] === "string"
          ? Date.parse(o["@timestamp"])
          : NaN;
        // received_at must be RFC 3339 (four-digit year): a time outside
        // it cannot be written, so the record gets the replay time like a
        // line without one. Counted, not silent: the run's summary says
        // how many lines lost their time. Nor does --speed pace by it (a
        // year-275760 line would otherwise wait for ever).
        if (rfc3339Representable(ts)) timeMs = ts;
        else this.#fellBack(line);
      }
      const host = (o.host as { name?: unknown } | undefined)?.name;
      return {
        event: this.#event(
          o,
          typeof host === "string" && host ? host : this.#opts.sourceName,
          timeMs,
        ),
        timeMs,
      };
    }
    return this.#wrap(text, line);
  }

  #fellBack(line: number): void {
    this.#timeFallbacks++;
    this.#firstFallbackLine ??= line;
  }

  #wrap(text: string, _line: number): ReplayItem {
    const timeMs = this.#lineTime(text);
    return {
      event: this.#event(text, this.#opts.sourceName, timeMs),
      timeMs,
    };
  }

  #event(
    payload: string | Record<string, unknown>,
    sourceName: string,
    timeMs: number | undefined,
  ): RawEvent {
    return {
      record: "raw_event",
      event_id: uuidFromRandom(this.#ids.uint32),
      received_at: isoTime(timeMs ?? this.#now()),
      tenant: this.#opts.tenant ?? "default",
      source_name: sourceName.slice(0, 256),
      transport: "replay",
      ingest_node: this.#opts.node,
      payload,
    };
  }

  /** The time written at the start of a log line, when there is one. */
  #lineTime(text: string): number | undefined {
    let m = RFC3164.exec(text);
    if (m) {
      const month = MONTHS[m[1]];
      if (month === undefined) return undefined;
      const day = Number(m[2].trim());
      const h = Number(m[3]), mi = Number(m[4]), se = Number(m[5]);
      if (this.#year !== this.#year) {
        // The first line fixes the file's year as the parser would for it:
        // the one closest before now (a replayed "Dec 30" in November is
        // last December's, not five weeks ahead).
        const first = yearlessMs(month, day, h, mi, se, 0, this.#now());
        if (first !== first) return undefined; // Feb 30: no such day
        this.#year = new Date(first).getUTCFullYear();
      } else if (this.#lastMonth === 11 && month === 0) {
        // Syslog files run forward; a month going back means a new year.
        this.#year++;
      }
      this.#lastMonth = month;
      // Feb 29 exists only in leap years: the line was written in one, so
      // the file's year is the most recent leap year, not March 1 of ours
      // (Date.UTC would roll over silently).
      if (month === 1 && day === 29) {
        while (!dayExists(this.#year, 1, 29)) this.#year--;
      }
      return Date.UTC(this.#year, month, day, h, mi, se);
    }
    m = APACHE.exec(text);
    if (m) {
      const month = MONTHS[m[2]];
      if (month === undefined) return undefined;
      const sign = m[7] === "-" ? -1 : 1;
      const offsetMs = sign * (Number(m[8]) * 60 + Number(m[9])) * 60_000;
      return utc(
        Number(m[3]),
        month,
        Number(m[1]),
        Number(m[4]),
        Number(m[5]),
        Number(m[6]),
      ) - offsetMs;
    }
    m = ISO_PREFIX.exec(text);
    if (m) {
      const t = Date.parse(m[1]);
      return Number.isFinite(t) ? t : undefined;
    }
    return undefined;
  }
}

/**
 * `Date.UTC` for any four-digit year: `Date.UTC` itself reads years 0–99
 * as 1900–1999, which would move an Apache `[10/Oct/0099:…]` by 1900 years.
 */
function utc(
  year: number,
  month: number,
  day: number,
  h: number,
  m: number,
  s: number,
): number {
  const t = Date.UTC(year, month, day, h, m, s);
  if (year >= 100) return t;
  const d = new Date(t);
  d.setUTCFullYear(year);
  return d.getTime();
}

/**
 * Keeps the original spacing of replayed records, divided by `speed`:
 * returns how many ms to wait before sending a record of time `timeMs`.
 */
export class ReplayClock {
  readonly #speed: number;
  #firstEventMs: number | undefined;
  #firstWallMs = 0;

  constructor(speed: number) {
    this.#speed = speed;
  }

  /** Delay before a record with original time `timeMs` is due. */
  delayMs(timeMs: number | undefined, wallMs: number): number {
    if (timeMs === undefined) return 0;
    if (this.#firstEventMs === undefined) {
      this.#firstEventMs = timeMs;
      this.#firstWallMs = wallMs;
      return 0;
    }
    const due = this.#firstWallMs + (timeMs - this.#firstEventMs) / this.#speed;
    return Math.max(0, due - wallMs);
  }
}
