/**
 * Same seed and start give byte-identical output, in-process and through
 * the CLI; a different seed or start changes it.
 */
import assert from "node:assert/strict";
import { generate, START } from "./_helpers.ts";
import { parseInject, TrafficGenerator } from "../../stages/generator/mod.ts";

const INJECTS = ["brute_force_ssh", "dns_tunneling", "impossible_travel"];

function lines(seed: string, startMs = START): string {
  const g = new TrafficGenerator({
    seed,
    startMs,
    virtualRate: 100,
    injects: INJECTS.map((s) => parseInject(s)),
    plannedCount: 1500,
  });
  return g.nextBatch(1500).map((e) => JSON.stringify(e)).join("\n");
}

Deno.test("same seed and start: identical events", () => {
  assert.equal(lines("alpha"), lines("alpha"));
});

Deno.test("a different seed or start changes the events", () => {
  const a = lines("alpha");
  assert.notEqual(a, lines("beta"));
  const later = lines("alpha", START + 3_600_000);
  assert.notEqual(a, later);
  // Only the times move: the same events an hour later.
  assert.equal(
    a.replace(/T10:|Nov 24 10:|2026:10:/g, "X").replace(/ rt=\d+/g, ""),
    later.replace(/T11:|Nov 24 11:|2026:11:/g, "X").replace(/ rt=\d+/g, ""),
  );
});

Deno.test("event ids are unique UUIDs and times follow the virtual clock", () => {
  const evs = generate([], 1000, 250);
  assert.equal(new Set(evs.map((e) => e.event_id)).size, 1000);
  // The i-th event happens at start + i × 1000 / rate ms (4 ms at 250/s).
  let checked = 0;
  evs.forEach((e, i) => {
    if (typeof e.payload === "object") {
      assert.equal(
        Date.parse(e.payload["@timestamp"] as string),
        START + i * 4,
      );
      checked++;
    }
  });
  assert.ok(checked > 300);
  const recv = evs.map((e) => Date.parse(e.received_at));
  assert.ok(recv.every((t) => t >= START && t < START + 4000 + 300));
});

Deno.test("CLI: two runs with the same --seed and --start are byte-identical", async () => {
  const run = async () => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        new URL("../../cli/sentinel-generator.ts", import.meta.url).pathname,
        "--dry-run",
        "--seed",
        "42",
        "--start",
        "2026-11-24T10:00:00Z",
        "--rate",
        "0",
        "--count",
        "800",
        "--inject",
        "port_scan",
        "--log-level",
        "silent",
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    return new TextDecoder().decode(out.stdout);
  };
  const [a, b] = await Promise.all([run(), run()]);
  assert.equal(a.split("\n").filter(Boolean).length, 800);
  assert.equal(a, b);
});
