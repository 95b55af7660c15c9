/**
 * Syslog repeat compression. rsyslog (the default on Debian/Ubuntu) writes
 * a run of identical messages once, then
 * `message repeated N times: [ <the message>]` for the N that followed; old
 * sysklogd and BSD syslogd write `last message repeated N times` with no
 * message at all.
 *
 * Design: a bracketed repeat line stands for N occurrences of its inner
 * message, so the parser classifies the inner message exactly as if it
 * stood alone (same program tag, any program) and emits N enriched events
 * for the line: the first keeps the line's event_id, copy i (2…N) gets
 * {@link repeatEventId}(event_id, i), a UUID derived deterministically so a
 * replay yields the same ids and the sink collapses duplicates. The
 * detector's windows, the anomaly counts and the dashboards then see the
 * true number of attempts (12 failed passwords, not 2 unclassified lines).
 * N is capped at {@link REPEAT_MAX} events so a forged line cannot make the
 * parser emit millions; the stated count stays in the fields.
 *
 * Fields on every event of a repeat line: `syslog.repeated` (N as stated),
 * `syslog.repeat_index` (1…N, 1 is the line's own event); on copies 2…N
 * also `syslog.repeat_of` (the line's event_id); and when N was capped,
 * `parser.repeats_emitted` (how many events the line gave).
 *
 * `last message repeated N times` names no message: repeating an unknown
 * event would only inflate "other", so it stays one other/unclassified
 * event with `syslog.repeated` = N and no `syslog.repeat_index`.
 */
import type { EnrichedEvent } from "../shared/contracts/mod.ts";
import { stableId } from "../shared/ids.ts";
import type { Emitter } from "../shared/stage.ts";
import type { Ev, ParseState } from "./_event.ts";

/** Most events one repeat line may give (the stated count stays in fields). */
export const REPEAT_MAX = 1000;

const REPEATED = "message repeated ";
const LAST_REPEATED = "last message repeated ";
const TIMES_OPEN = " times: [";

/** Reads the 1–15 digit count at `msg[i]`; -1 if none (sets `countEnd`). */
function countAt(msg: string, i: number): number {
  let n = 0;
  let j = i;
  while (j < msg.length && j - i < 16) {
    const c = msg.charCodeAt(j) - 48;
    if (c < 0 || c > 9) break;
    n = n * 10 + c;
    j++;
  }
  countEnd = j;
  return j === i || j - i > 15 ? -1 : n;
}
let countEnd = 0;

/**
 * If `msg` is a repeat line, notes its count on `ev` and `st` and returns
 * the message to classify instead: the inner message of
 * `message repeated N times: [ …]`, or "" for `last message repeated N
 * times` (nothing to classify). Returns null when `msg` is no repeat line.
 */
export function unwrapRepeat(
  ev: Ev,
  st: ParseState,
  msg: string,
): string | null {
  if (msg.startsWith(REPEATED)) {
    const n = countAt(msg, REPEATED.length);
    if (n < 1 || !msg.startsWith(TIMES_OPEN, countEnd)) return null;
    let from = countEnd + TIMES_OPEN.length;
    // rsyslog keeps the space that led the original MSG: "[ Failed …]".
    if (msg.charCodeAt(from) === 32) from++;
    // The closing bracket is rsyslog's, not the message's; a line cut short
    // in transit has none, and what is left of the message is still read.
    const to = msg.charCodeAt(msg.length - 1) === 93
      ? msg.length - 1
      : msg.length;
    ev.fields["syslog.repeated"] = String(n);
    // "[]": no message to repeat, like `last message repeated`.
    if (from >= to) return "";
    ev.fields["syslog.repeat_index"] = "1";
    if (n > REPEAT_MAX) {
      ev.fields["parser.repeats_emitted"] = String(REPEAT_MAX);
    }
    st.repeat = n > REPEAT_MAX ? REPEAT_MAX : n;
    return msg.slice(from, to);
  }
  if (msg.startsWith(LAST_REPEATED)) {
    const n = countAt(msg, LAST_REPEATED.length);
    if (n < 1 || !msg.startsWith(" time", countEnd)) return null;
    ev.fields["syslog.repeated"] = String(n);
    return "";
  }
  return null;
}

const HEX = "0123456789abcdef";

/**
 * Event id of copy `index` (2…N) of the repeat line whose event has id
 * `lineEventId`: a UUID (version 8, RFC 9562's custom layout) over
 * stableId(lineEventId, index), the same on every replay of the line.
 */
export function repeatEventId(lineEventId: string, index: number): string {
  const h = stableId(lineEventId, "repeat", index);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${
    HEX[(parseInt(h[16], 16) & 3) | 8]
  }${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * Emits copies 2…`count` of `first` (the event of a repeat
 * line), each with its derived id and repeat fields. Returns how many.
 */
export function emitRepeatCopies(
  first: EnrichedEvent,
  count: number,
  out: Emitter,
): number {
  const lineId = first.event_id;
  for (let i = 2; i <= count; i++) {
    // A deep copy: a consumer in the same process (a chained core, a test)
    // may hold or change one event without touching its siblings.
    const copy = structuredClone(first);
    copy.event_id = repeatEventId(lineId, i);
    copy.fields["syslog.repeat_index"] = String(i);
    copy.fields["syslog.repeat_of"] = lineId;
    out.emit(copy);
  }
  return count > 1 ? count - 1 : 0;
}
