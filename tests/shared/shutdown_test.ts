/**
 * Graceful shutdown of a stage process on SIGTERM and SIGINT: a stage
 * reading a pipe keeps reading what its upstream (stopped by the same
 * Ctrl-C) still flushes until the pipe closes, at most a few seconds, then
 * flushes everything it read and exits 0.
 */
import assert from "node:assert/strict";

const root = new URL("../../", import.meta.url).pathname;
const raw = (i: number) =>
  JSON.stringify({
    record: "raw_event",
    event_id: `7d1f4a52-3b7e-4a57-9d0c-2f5bb2f4f${String(i).padStart(3, "0")}`,
    received_at: "2026-11-24T10:00:00.000Z",
    tenant: "default",
    source_name: "sshd",
    transport: "stdin",
    ingest_node: "n1",
    payload: `line ${i}`,
  });

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  Deno.test(`${signal} on an open, idle input: after the grace period the stage flushes what was read and exits 0`, async () => {
    const p = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--quiet", `${root}bench/passthrough.ts`],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const w = p.stdin.getWriter();
    await w.write(
      new TextEncoder().encode([raw(1), raw(2), raw(3)].join("\n") + "\n"),
    );
    // Wait until the stage has echoed the three records, then signal it while
    // its stdin is still open and silent.
    const reader = p.stdout.getReader();
    let out = "";
    while ((out.match(/\n/g) ?? []).length < 3) {
      const r = await reader.read();
      if (r.done) break;
      out += new TextDecoder().decode(r.value);
    }
    p.kill(signal);
    for (;;) {
      const r = await reader.read();
      if (r.done) break;
      out += new TextDecoder().decode(r.value);
    }
    const status = await p.status;
    await w.close().catch(() => {});
    const err = await new Response(p.stderr).text();
    assert.equal(status.code, 0, err);
    assert.equal(out.trim().split("\n").length, 3);
    assert.match(err, /"ended_by":"signal"/);
    assert.match(err, /until the pipe closes, at most 3 s/);
  });

  Deno.test(`${signal}: records the upstream flushes after the signal, before closing the pipe, are not lost`, async () => {
    const p = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--quiet", `${root}cli/sentinel-parser.ts`],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const w = p.stdin.getWriter();
    const enc = new TextEncoder();
    await w.write(enc.encode([raw(1), raw(2), raw(3)].join("\n") + "\n"));
    const reader = p.stdout.getReader();
    let out = "";
    while ((out.match(/\n/g) ?? []).length < 3) {
      const r = await reader.read();
      if (r.done) break;
      out += new TextDecoder().decode(r.value);
    }
    // Ctrl-C reaches every stage of a pipe at once: the upstream stage
    // writes its last records after this one was signalled, then exits.
    p.kill(signal);
    await new Promise((r) => setTimeout(r, 300));
    await w.write(enc.encode([raw(4), raw(5)].join("\n") + "\n"));
    await w.close();
    for (;;) {
      const r = await reader.read();
      if (r.done) break;
      out += new TextDecoder().decode(r.value);
    }
    const status = await p.status;
    const err = await new Response(p.stderr).text();
    assert.equal(status.code, 0, err);
    const ids = out.trim().split("\n").map((l) => JSON.parse(l).event_id);
    assert.deepEqual(ids.map((id: string) => Number(id.slice(-3))), [
      1,
      2,
      3,
      4,
      5,
    ]);
    assert.match(err, /"ended_by":"signal"/);
  });

  Deno.test(`${signal}: the sink also stores what arrives after the signal, before its input closes`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "shutdown_sink_" });
    try {
      const out = `${dir}/stored.ndjson`;
      const p = new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          "--quiet",
          `${root}cli/sentinel-sink.ts`,
          "--out",
          `file:${out}`,
        ],
        stdin: "piped",
        stdout: "null",
        stderr: "piped",
      }).spawn();
      const w = p.stdin.getWriter();
      const enc = new TextEncoder();
      await w.write(enc.encode([raw(1), raw(2), raw(3)].join("\n") + "\n"));
      await new Promise((r) => setTimeout(r, 1000));
      p.kill(signal);
      await new Promise((r) => setTimeout(r, 300));
      await w.write(enc.encode([raw(4), raw(5)].join("\n") + "\n"));
      await w.close();
      const status = await p.status;
      const err = await new Response(p.stderr).text();
      assert.equal(status.code, 0, err);
      const stored = (await Deno.readTextFile(out)).trim().split("\n");
      assert.equal(stored.length, 5, err);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}
