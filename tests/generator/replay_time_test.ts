/**
 * Replayed records whose own time cannot be used (a `@timestamp` JavaScript
 * reads but RFC 3339 cannot write, such as year +275760, or one that does
 * not parse) get the replay time as received_at, and the run says so: a
 * count in the summary and one warning, not silence.
 */
import assert from "node:assert/strict";
import { ReplayDecoder } from "../../stages/generator/mod.ts";

const CLI = new URL("../../cli/sentinel-generator.ts", import.meta.url)
  .pathname;
const NOW = Date.parse("2026-11-24T12:00:00Z");

const LINES = [
  { "@timestamp": "2026-11-24T10:00:00Z", message: "kept" },
  { "@timestamp": "+275760-09-13T00:00:00.000Z", message: "year too large" },
  { "@timestamp": "-000001-01-01T00:00:00.000Z", message: "year below 0" },
  { "@timestamp": "yesterday", message: "unparseable" },
  { message: "no time at all: not a fallback" },
].map((o) => JSON.stringify(o));

Deno.test("the decoder counts records whose @timestamp has no RFC 3339 form, and does not pace by it", () => {
  const d = new ReplayDecoder({
    sourceName: "replay",
    node: "n",
    seed: "s",
    nowMs: () => NOW,
  });
  const items = LINES.map((l, i) => d.decode(l, i + 1));
  const times = items.map((it) => "event" in it ? it.timeMs : "dead");
  assert.deepEqual(times, [
    Date.parse("2026-11-24T10:00:00Z"),
    undefined,
    undefined,
    undefined,
    undefined,
  ]);
  const received = items.map((it) => "event" in it ? it.event.received_at : "");
  assert.equal(received[0], "2026-11-24T10:00:00.000Z");
  for (const r of received.slice(1)) {
    assert.equal(r, "2026-11-24T12:00:00.000Z");
  }
  assert.equal(d.timeFallbacks, 3);
  assert.equal(d.firstFallbackLine, 2);
});

Deno.test("--replay reports unusable times in the summary and warns once with the count", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/odd_years.ndjson`;
    await Deno.writeTextFile(file, LINES.join("\n") + "\n");
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        CLI,
        "--replay",
        file,
        "--dry-run",
        "--speed",
        "1000",
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const dec = new TextDecoder();
    const stderr = dec.decode(out.stderr);
    assert.equal(out.code, 0, stderr);
    assert.equal(dec.decode(out.stdout).split("\n").filter(Boolean).length, 5);
    const logs = stderr.split("\n").filter((l) => l.startsWith("{")).map((l) =>
      JSON.parse(l)
    );
    const summary = logs.find((l) => l.msg === "summary");
    assert.deepEqual(summary.time_fallbacks, { lines: 3, first_line: 2 });
    const warnings = logs.filter((l) =>
      l.level === "warn" && /unusable time/.test(l.msg)
    );
    assert.equal(warnings.length, 1);
    assert.equal(warnings[0].lines, 3);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an Apache time with a year below 100 keeps its year (not read as 19xx)", () => {
  const d = new ReplayDecoder({ sourceName: "replay", node: "n", seed: "s" });
  const at = (year: string) => {
    const it = d.decode(
      `203.0.113.9 - - [10/Oct/${year}:13:55:36 +0000] "GET / HTTP/1.1" 200 5`,
      1,
    );
    return "event" in it ? it.timeMs : undefined;
  };
  assert.equal(at("0099"), Date.parse("0099-10-10T13:55:36Z"));
  assert.equal(at("2026"), Date.parse("2026-10-10T13:55:36Z"));
});
