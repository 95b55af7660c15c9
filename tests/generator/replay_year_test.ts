/**
 * `--replay` of syslog lines (RFC 3164 carries no year) dates them in the
 * year closest before now, as the parser does (docs/flags.md), never weeks
 * in the future; Feb 29 lands in the most recent leap year, not on Mar 1.
 */
import assert from "node:assert/strict";
import { ReplayDecoder } from "../../stages/generator/mod.ts";
import { gen } from "./_run.ts";

const SSH_FAIL =
  "combo sshd[1]: Failed password for root from 203.0.113.9 port 22 ssh2";

/** received_at of each line, replayed with the clock at `now`. */
function replayedAt(now: string, stamps: string[]): string[] {
  const d = new ReplayDecoder({
    sourceName: "replay",
    node: "n",
    seed: "s",
    nowMs: () => Date.parse(now),
  });
  return stamps.map((stamp, i) => {
    const it = d.decode(`${stamp} ${SSH_FAIL}`, i + 1);
    assert.ok("event" in it, `line ${i + 1} became a dead letter`);
    return it.event.received_at;
  });
}

Deno.test("a syslog line dated after today is last year's, not weeks ahead", () => {
  assert.deepEqual(replayedAt("2026-11-24T12:00:00Z", ["Dec 30 10:00:00"]), [
    "2025-12-30T10:00:00.000Z",
  ]);
});

Deno.test("a syslog line from earlier this year, or within the parser's day of clock skew, keeps this year; further ahead is last year's, as the parser reads it", () => {
  assert.deepEqual(replayedAt("2026-11-24T12:00:00Z", ["Nov 24 09:00:00"]), [
    "2026-11-24T09:00:00.000Z",
  ]);
  assert.deepEqual(replayedAt("2026-11-24T12:00:00Z", ["Nov 25 09:00:00"]), [
    "2026-11-25T09:00:00.000Z",
  ]);
  assert.deepEqual(replayedAt("2026-11-24T12:00:00Z", ["Nov 30 09:00:00"]), [
    "2025-11-30T09:00:00.000Z",
  ]);
  assert.deepEqual(replayedAt("2026-11-24T12:00:00Z", ["Jun 14 15:16:01"]), [
    "2026-06-14T15:16:01.000Z",
  ]);
});

Deno.test("a file crossing New Year runs forward from the year its first line gets", () => {
  assert.deepEqual(
    replayedAt("2026-11-24T12:00:00Z", [
      "Dec 31 23:59:59",
      "Jan  1 00:00:01",
      "Mar  3 08:00:00",
    ]),
    [
      "2025-12-31T23:59:59.000Z",
      "2026-01-01T00:00:01.000Z",
      "2026-03-03T08:00:00.000Z",
    ],
  );
  // Early January stamped just before a late-December clock: next year's
  // within the parser's day of skew, else last January, as the parser
  // reads it.
  assert.deepEqual(replayedAt("2026-12-31T23:00:00Z", ["Jan  1 00:30:00"]), [
    "2027-01-01T00:30:00.000Z",
  ]);
  assert.deepEqual(replayedAt("2026-12-30T12:00:00Z", ["Jan  2 00:00:00"]), [
    "2026-01-02T00:00:00.000Z",
  ]);
});

Deno.test("Feb 29 lands in the most recent leap year, never rolled over to Mar 1", () => {
  assert.deepEqual(replayedAt("2026-11-24T12:00:00Z", ["Feb 29 10:00:00"]), [
    "2024-02-29T10:00:00.000Z",
  ]);
  assert.deepEqual(replayedAt("2028-03-05T00:00:00Z", ["Feb 29 10:00:00"]), [
    "2028-02-29T10:00:00.000Z",
  ]);
  // 2028's Feb 29 is still three weeks ahead: the last one was 2024's.
  assert.deepEqual(replayedAt("2028-02-08T00:00:00Z", ["Feb 29 10:00:00"]), [
    "2024-02-29T10:00:00.000Z",
  ]);
  // 2100 is no leap year (century rule): 2096's.
  assert.deepEqual(replayedAt("2100-06-01T00:00:00Z", ["Feb 29 10:00:00"]), [
    "2096-02-29T10:00:00.000Z",
  ]);
  // Mid-file, after lines of a common year: the file is from a leap year,
  // and the lines after it stay in that year.
  assert.deepEqual(
    replayedAt("2026-11-24T12:00:00Z", [
      "Feb 28 23:00:00",
      "Feb 29 10:00:00",
      "Mar  1 00:00:00",
    ]),
    [
      "2026-02-28T23:00:00.000Z",
      "2024-02-29T10:00:00.000Z",
      "2024-03-01T00:00:00.000Z",
    ],
  );
});

Deno.test("sentinel-generator --replay --dry-run dates a syslog line a month ahead of today in the past", async () => {
  // The CLI reads the real clock: a line stamped 30 days from now must come
  // out in the past (last year), as the parser would date it.
  const ahead = new Date(Date.now() + 30 * 86_400_000);
  const month = ahead.toLocaleString("en-US", {
    month: "short",
    timeZone: "UTC",
  });
  const day = String(ahead.getUTCDate()).padStart(2, " ");
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/auth_month_ahead.log`;
    await Deno.writeTextFile(file, `${month} ${day} 10:00:00 ${SSH_FAIL}\n`);
    const before = Date.now();
    const r = await gen(["--replay", file, "--dry-run"]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split("\n").filter(Boolean);
    assert.equal(lines.length, 1);
    const at = Date.parse(JSON.parse(lines[0]).received_at);
    assert.ok(at < before, `received_at ${new Date(at).toISOString()}`);
    assert.equal(new Date(at).getUTCMonth(), ahead.getUTCMonth());
    assert.equal(new Date(at).getUTCDate(), ahead.getUTCDate());
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
