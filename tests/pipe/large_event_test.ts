/**
 * An event as large as the parser accepts must reach detection and storage:
 * the stages after the parser accept the enriched form of anything the
 * parser accepted (which embeds the original payload).
 */
import assert from "node:assert/strict";
import { runPipe } from "../../scripts/pipe.ts";

Deno.test("a 900 KB JSON event passes parser, detector and sink on default limits", async () => {
  const raw = {
    record: "raw_event",
    event_id: "0f8fad5b-d9cb-469f-a165-70867728950e",
    received_at: "2026-11-24T10:00:00.000Z",
    tenant: "default",
    source_name: "app",
    transport: "stdin",
    ingest_node: "n1",
    payload: {
      "@timestamp": "2026-11-24T09:59:59.000Z",
      event: { category: "process", action: "process_start" },
      process: {
        name: "powershell.exe",
        command_line: "powershell -enc " + "A".repeat(900_000),
      },
      host: { name: "ws-17" },
    },
  };
  const r = await runPipe([
    { bin: "sentinel-parser", args: ["--log-level", "warn"] },
    {
      bin: "sentinel-detector",
      args: ["--rules", "./sigma", "--log-level", "warn"],
    },
    { bin: "sentinel-sink", args: ["--out", "-", "--log-level", "warn"] },
  ], { input: new TextEncoder().encode(JSON.stringify(raw) + "\n") });
  for (const s of r.stages) assert.equal(s.code, 0, s.stderr.slice(-1500));
  const out = new TextDecoder().decode(r.stdout).trim().split("\n").map((l) =>
    JSON.parse(l)
  );
  assert.deepEqual(
    out.map((o) => o.record),
    ["enriched_event"],
    JSON.stringify(out.map((o) => o.reason ?? o.record)),
  );
  assert.equal(out[0].event_id, raw.event_id);
  assert.equal(out[0].process.name, "powershell.exe");
  assert.equal(
    out[0].payload.process.command_line.length,
    raw.payload.process.command_line.length,
  );
});
