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

/** A stage process fed on stdin by the test, as the stage before it would. */
function stage(script: string, args: string[] = [], stdout = true) {
  const p = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", `${root}${script}`, ...args],
    stdin: "piped",
    stdout: stdout ? "piped" : "null",
    stderr: "piped",
  }).spawn();
  const w = p.stdin.getWriter();
  const reader = stdout ? p.stdout.getReader() : null;
  let out = "";
  const readChunk = async () => {
    const r = await reader!.read();
    if (!r.done) out += new TextDecoder().decode(r.value);
    return !r.done;
  };
  return {
    /** Writes records `from`..`to` (one line each). */
    send: (from: number, to: number) =>
      w.write(
        new TextEncoder().encode(
          Array.from({ length: to - from + 1 }, (_, i) => raw(from + i))
            .join("\n") + "\n",
        ),
      ),
    /** Reads stdout until it holds `n` lines. */
    async untilLines(n: number) {
      while ((out.match(/\n/g) ?? []).length < n && await readChunk()) {
        /* reading */
      }
    },
    kill: (signal: Deno.Signal) => p.kill(signal),
    closeInput: () => w.close().catch(() => {}),
    /** Reads stdout to its end; exit code, stdout and stderr. */
    async finish() {
      while (reader && await readChunk()) { /* reading */ }
      const status = await p.status;
      await w.close().catch(() => {});
      const err = await new Response(p.stderr).text();
      return { code: status.code, out, err };
    },
  };
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  Deno.test(`${signal} on an open, idle input: after the grace period the stage flushes what was read and exits 0`, async () => {
    const p = stage("bench/passthrough.ts");
    await p.send(1, 3);
    // Wait until the stage has echoed the three records, then signal it while
    // its stdin is still open and silent.
    await p.untilLines(3);
    p.kill(signal);
    const { code, out, err } = await p.finish();
    assert.equal(code, 0, err);
    assert.equal(out.trim().split("\n").length, 3);
    assert.match(err, /"ended_by":"signal"/);
    assert.match(err, /until the pipe closes, at most 3 s/);
  });

  Deno.test(`${signal}: records the upstream flushes after the signal, before closing the pipe, are not lost`, async () => {
    const p = stage("cli/sentinel-parser.ts");
    await p.send(1, 3);
    await p.untilLines(3);
    // Ctrl-C reaches every stage of a pipe at once: the upstream stage
    // writes its last records after this one was signalled, then exits.
    p.kill(signal);
    await pause(300);
    await p.send(4, 5);
    await p.closeInput();
    const { code, out, err } = await p.finish();
    assert.equal(code, 0, err);
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
      const p = stage("cli/sentinel-sink.ts", ["--out", `file:${out}`], false);
      await p.send(1, 3);
      await pause(1000);
      p.kill(signal);
      await pause(300);
      await p.send(4, 5);
      await p.closeInput();
      const { code, err } = await p.finish();
      assert.equal(code, 0, err);
      const stored = (await Deno.readTextFile(out)).trim().split("\n");
      assert.equal(stored.length, 5, err);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}
