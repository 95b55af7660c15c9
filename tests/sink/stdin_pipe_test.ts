/**
 * The embedded chDB engine runs inside the sink's process, and chDB treats a
 * readable stdin as insert data. The sink's stdin is its input pipe, so every
 * insert must be immune to unread bytes waiting there: none may fail, and
 * none may swallow input meant for the sink.
 */
import assert from "node:assert/strict";
import { runPipe } from "../../scripts/pipe.ts";
import { validateRecord } from "../../stages/shared/contracts/mod.ts";

const dec = new TextDecoder();

Deno.test("sink on a busy input pipe stores every event, alert and dead letter once", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sentinel-stdin-pipe-" });
  try {
    // Parser output at full speed: thousands of events with attack alerts
    // and dead letters interleaved, fed through a pipe that stays full.
    const upstream = await runPipe([
      {
        bin: "sentinel-generator",
        args: [
          "--rate",
          "0",
          "--count",
          "30000",
          "--seed",
          "5",
          "--start",
          "2026-11-24T00:00:00Z",
          "--inject",
          "brute_force_ssh",
          "--inject",
          "port_scan",
          "--inject",
          "password_spray",
          "--log-level",
          "warn",
        ],
      },
      { bin: "sentinel-parser", args: ["--log-level", "warn"] },
      {
        bin: "sentinel-detector",
        args: ["--rules", "./sigma", "--log-level", "warn"],
      },
    ]);
    for (const s of upstream.stages) {
      assert.equal(s.code, 0, s.stderr.slice(-1500));
    }
    const lines = dec.decode(upstream.stdout).split("\n").filter(Boolean);
    // Dead letters in the middle of the stream, too.
    const mixed: string[] = [];
    lines.forEach((l, i) => {
      mixed.push(l);
      if (i % 5000 === 2500) mixed.push(`not json at line ${i}`);
    });
    const expected = { enriched_event: 0, alert: 0, dead_letter: 0 } as Record<
      string,
      number
    >;
    for (const l of mixed) {
      let r: { record?: string };
      try {
        r = JSON.parse(l);
      } catch {
        expected.dead_letter++;
        continue;
      }
      assert.equal(validateRecord(r), null);
      expected[r.record!]++;
    }
    assert.ok(
      expected.alert > 0 && expected.dead_letter > 0 &&
        expected.enriched_event > 25_000,
    );

    const sink = await runPipe(
      [{
        bin: "sentinel-sink",
        args: [
          "--out",
          `chdb:${dir}/store`,
          "--summary",
          "json",
          "--log-level",
          "warn",
        ],
      }],
      { input: new TextEncoder().encode(mixed.join("\n") + "\n") },
    );
    assert.equal(sink.stages[0].code, 0, sink.stages[0].stderr.slice(-2000));
    assert.doesNotMatch(
      sink.stages[0].stderr,
      /insert failed/,
      "no insert may fail because of pending stdin",
    );

    const q = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--quiet",
        "cli/sentinel-sink.ts",
        "query",
        "SELECT (SELECT uniqExact(event_id) FROM sentinel.events) AS e, (SELECT uniqExact(alert_id) FROM sentinel.alerts) AS a, (SELECT uniqExact(dead_letter_id) FROM sentinel.dead_letters) AS d",
        "--out",
        `chdb:${dir}/store`,
        "--format",
        "json",
      ],
      cwd: new URL("../../", import.meta.url).pathname,
    }).output();
    assert.equal(q.code, 0, dec.decode(q.stderr));
    const text = dec.decode(q.stdout).trim();
    const row = (text.startsWith("[")
      ? JSON.parse(text)[0]
      : JSON.parse(text.split("\n")[0])) as Record<string, unknown>;
    assert.equal(
      Number(row.e),
      expected.enriched_event,
      "every enriched event stored",
    );
    assert.equal(
      Number(row.a),
      new Set(
        mixed.filter((l) =>
          l.includes('"record":"alert"')
        ).map((l) => JSON.parse(l).alert_id),
      ).size,
      "every alert stored",
    );
    assert.equal(
      Number(row.d),
      expected.dead_letter,
      "every dead letter stored",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
