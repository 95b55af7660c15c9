/**
 * Syslog lines stamped Feb 29 carry no year: the year is the one closest
 * before receipt that has the day, i.e. the most recent leap year whose
 * Feb 29 is not after received_at (plus the parser's day of clock skew).
 * Before the fix, a common receipt year made Date.UTC roll the day into
 * March 1 and the event lost its time (ts fell back to received_at).
 */
import assert from "node:assert/strict";
import type { EnrichedEvent } from "../../stages/shared/contracts/mod.ts";
import { parseOne } from "./_helpers.ts";

const FAILED_ROOT =
  "sshd[3]: Failed password for root from 203.0.113.9 port 22 ssh2";

interface LeapCase {
  name: string;
  /** The RFC 3164 time at the start of the line. */
  stamp: string;
  receivedAt: string;
  /** Expected ts, or null when the day exists in no year (ts falls back). */
  ts: string | null;
}

const CASES: LeapCase[] = [
  {
    name: "reviewer's line read in 2026 is 2024's leap day",
    stamp: "Feb 29 12:00:00",
    receivedAt: "2026-12-01T00:00:00.000Z",
    ts: "2024-02-29T12:00:00.000Z",
  },
  {
    name: "read the day after, in a leap year, is this year",
    stamp: "Feb 29 23:59:59",
    receivedAt: "2028-03-01T00:00:00.000Z",
    ts: "2028-02-29T23:59:59.000Z",
  },
  {
    name: "read hours before it (sender east of UTC) is this year's",
    stamp: "Feb 29 08:00:00",
    receivedAt: "2028-02-29T00:00:00.000Z",
    ts: "2028-02-29T08:00:00.000Z",
  },
  {
    name: "read in January of a leap year is four years back",
    stamp: "Feb 29 08:00:00",
    receivedAt: "2028-01-15T00:00:00.000Z",
    ts: "2024-02-29T08:00:00.000Z",
  },
  {
    name: "read early in the year after a leap year is last year",
    stamp: "Feb 29 10:00:00",
    receivedAt: "2029-01-02T00:00:00.000Z",
    ts: "2028-02-29T10:00:00.000Z",
  },
  {
    name: "read in 2101 skips 2100 (no leap year) back to 2096",
    stamp: "Feb 29 10:00:00",
    receivedAt: "2101-06-01T00:00:00.000Z",
    ts: "2096-02-29T10:00:00.000Z",
  },
  {
    name: "Feb 28 is unaffected: stays this year",
    stamp: "Feb 28 10:00:00",
    receivedAt: "2026-12-01T00:00:00.000Z",
    ts: "2026-02-28T10:00:00.000Z",
  },
  {
    name: "Feb 30 exists in no year: ts falls back to receipt",
    stamp: "Feb 30 10:00:00",
    receivedAt: "2028-12-01T00:00:00.000Z",
    ts: null,
  },
  {
    name: "Apr 31 exists in no year: ts falls back to receipt",
    stamp: "Apr 31 10:00:00",
    receivedAt: "2028-12-01T00:00:00.000Z",
    ts: null,
  },
  {
    name: "an explicit common year keeps Feb 29 impossible",
    stamp: "Feb 29 2026 12:00:00",
    receivedAt: "2026-12-01T00:00:00.000Z",
    ts: null,
  },
];

for (const c of CASES) {
  Deno.test(`leap day: ${c.name}`, () => {
    const r = parseOne(`${c.stamp} combo ${FAILED_ROOT}`, {
      received_at: c.receivedAt,
    });
    assert.equal(r.record, "enriched_event", JSON.stringify(r));
    const e = r as EnrichedEvent;
    // The line is read either way: the failed root login is classified.
    assert.equal(e.action, "ssh_login");
    assert.equal(e.outcome, "failure");
    if (c.ts === null) {
      assert.equal(e.ts, c.receivedAt);
      assert.equal(e.ts_source, "received_at");
      assert.equal(e.fields["parser.ts_unreadable"], c.stamp);
    } else {
      assert.equal(e.ts, c.ts);
      assert.equal(e.ts_source, "event");
      assert.equal(e.fields["parser.ts_unreadable"], undefined);
    }
  });
}
