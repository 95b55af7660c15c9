/**
 * sentinel-ingest as a subprocess: NDJSON RawEvents on stdout, JSON logs on
 * stderr, SIGTERM drains and exits 0, usage errors exit 2.
 */
import assert from "node:assert/strict";
import { validatorFor } from "../../stages/shared/contracts/mod.ts";
import { SSHD_FAILED } from "./_helpers.ts";

const CLI = new URL("../../cli/sentinel-ingest.ts", import.meta.url).pathname;
const validRaw = validatorFor("raw_event");

function spawn(args: string[], env: Record<string, string> = {}) {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLI, ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env,
  }).spawn();
}

/** Reads stderr until the "listening" log line; returns it and the rest. */
async function waitListening(child: Deno.ChildProcess) {
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let buf = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) throw new Error(`exited before listening: ${buf}`);
    buf += value;
    for (const line of buf.split("\n")) {
      if (line.includes('"msg":"listening"')) {
        const rest = (async () => {
          let tail = buf;
          for (;;) {
            const r = await reader.read();
            if (r.done) return tail;
            tail += r.value;
          }
        })();
        return { info: JSON.parse(line), stderr: rest, before: buf };
      }
    }
  }
}

Deno.test("CLI: events POSTed and sent over syslog come out on stdout as valid RawEvents; SIGTERM exits 0", async () => {
  const child = spawn([
    "--port",
    "0",
    "--host",
    "127.0.0.1",
    "--syslog-tcp",
    "0",
    "--node",
    "ingest-cli-test",
  ]);
  const stdout = new Response(child.stdout).text();
  const { info, stderr } = await waitListening(child);
  const url = `http://127.0.0.1:${info.port}`;
  const ids: string[] = [];
  const single = await fetch(`${url}/events`, {
    method: "POST",
    headers: { "content-type": "text/plain" },
    body: SSHD_FAILED,
  });
  assert.equal(single.status, 202);
  ids.push((await single.json()).event_id);
  const batch = await fetch(`${url}/events/batch`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify([{ a: 1 }, { payload: "x", source_name: "fw" }]),
  });
  assert.equal(batch.status, 202);
  ids.push(...(await batch.json()).event_ids);
  const conn = await Deno.connect({
    hostname: "127.0.0.1",
    port: info.syslog_tcp,
  });
  await conn.write(new TextEncoder().encode(`<38>${SSHD_FAILED}\n`));
  conn.close();
  // Wait until the syslog line is counted before stopping.
  for (let i = 0; i < 200; i++) {
    const m = await (await fetch(`${url}/metrics`)).text();
    if (/events_total\{transport="syslog"\} 1/.test(m)) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  child.kill("SIGTERM");
  const status = await child.status;
  assert.equal(status.code, 0, await stderr);
  const lines = (await stdout).trim().split("\n").map((l) => JSON.parse(l));
  assert.equal(lines.length, 4);
  for (const l of lines) {
    assert.equal(validRaw(l), null);
    assert.equal(l.ingest_node, "ingest-cli-test");
  }
  assert.deepEqual(
    lines.filter((l) => l.transport === "http").map((l) => l.event_id),
    ids,
  );
  assert.equal(lines.filter((l) => l.transport === "syslog").length, 1);
  const logs = await stderr;
  assert.match(logs, /"msg":"shutting down","signal":"SIGTERM"/);
});

Deno.test("CLI: --help shows usage and examples; bad flags and bad auth config exit 2", async () => {
  const help = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLI, "--help"],
  }).output();
  assert.equal(help.code, 0);
  const text = new TextDecoder().decode(help.stdout);
  assert.match(text, /--syslog-tcp PORT/);
  assert.match(text, /Examples:/);
  const bad = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLI, "--no-such-flag"],
  }).output();
  assert.equal(bad.code, 2);
  const weak = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLI, "--port", "0"],
    env: { SENTINEL_AUTH_TOKENS: "acme:short" },
  }).output();
  assert.equal(weak.code, 2);
  assert.match(new TextDecoder().decode(weak.stderr), /shorter than 16/);
});

/** Starts the CLI with `args`, returns the listening log and earlier stderr, stops it. */
async function startAndStop(args: string[], env: Record<string, string> = {}) {
  const child = spawn(["--port", "0", ...args], env);
  const stdout = new Response(child.stdout).text();
  const { info, stderr, before } = await waitListening(child);
  child.kill("SIGTERM");
  const status = await child.status;
  assert.equal(status.code, 0, await stderr);
  await stdout;
  return { info, before };
}

const NO_AUTH_WARNING = /NO AUTHENTICATION on a non-loopback address/;
const CLEAR_TEXT_WARNING = /credentials and events travel in clear text/;

Deno.test("CLI: without credentials and without --host it listens on loopback only, no warning", async () => {
  const { info, before } = await startAndStop([], {
    SENTINEL_AUTH_TOKENS: "",
  });
  assert.match(info.http, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.doesNotMatch(before, NO_AUTH_WARNING);
});

Deno.test("CLI: an explicit non-loopback --host without credentials listens there with a loud warning", async () => {
  const { info, before } = await startAndStop(["--host", "0.0.0.0"], {
    SENTINEL_AUTH_TOKENS: "",
  });
  assert.match(info.http, /^http:\/\/0\.0\.0\.0:\d+$/);
  assert.match(before, NO_AUTH_WARNING);
  assert.match(before, /"level":"warn"/);
});

Deno.test("CLI: with credentials configured it listens on all addresses by default, no warning", async () => {
  const { info, before } = await startAndStop([], {
    SENTINEL_AUTH_TOKENS: "acme:s3cr3t-token-0001",
  });
  assert.match(info.http, /^http:\/\/0\.0\.0\.0:\d+$/);
  assert.equal(info.auth, "1 credential(s)");
  assert.doesNotMatch(before, NO_AUTH_WARNING);
  // Tokens over plain HTTP on a reachable address: said once at start.
  assert.match(before, CLEAR_TEXT_WARNING);
});

Deno.test("CLI: with --tls-cert/--tls-key it serves HTTPS, and credentials raise no clear-text warning", async () => {
  const tls = new URL("../fixtures/tls/", import.meta.url).pathname;
  const { info, before } = await startAndStop([
    "--tls-cert",
    `${tls}cert.pem`,
    "--tls-key",
    `${tls}key.pem`,
    "--syslog-tls",
    "0",
  ], { SENTINEL_AUTH_TOKENS: "acme:s3cr3t-token-0001" });
  assert.match(info.http, /^https:\/\/0\.0\.0\.0:\d+$/);
  assert.ok(info.syslog_tls > 0);
  assert.doesNotMatch(before, CLEAR_TEXT_WARNING);
});

Deno.test("CLI: when the reader of its stdout goes away, ingest answers 503, logs why and exits 1 (no zombie that looks alive)", async () => {
  const child = spawn(["--port", "0", "--host", "127.0.0.1"]);
  const { info, stderr } = await waitListening(child);
  const url = `http://127.0.0.1:${info.port}`;
  const post = (n: number) =>
    fetch(`${url}/events`, {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: `${SSHD_FAILED} #${n}`,
    }).then(async (r) => {
      await r.body?.cancel();
      return r.status;
    }).catch(() => 0); // the server may be gone already
  // Like `sentinel-ingest | head -n 1`: read one line, then close the pipe.
  const reader = child.stdout.pipeThrough(new TextDecoderStream())
    .getReader();
  assert.equal(await post(1), 202);
  let got = "";
  while (!got.includes("\n")) got += (await reader.read()).value ?? "";
  await reader.cancel();
  const statuses: number[] = [];
  for (let i = 2; i <= 4; i++) statuses.push(await post(i));
  assert.ok(
    !statuses.includes(202),
    `nothing is acknowledged once the pipe is gone: ${statuses}`,
  );
  // Without the fix it keeps running: killed after 20 s, which fails below.
  const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
  const { code, signal } = await child.status;
  clearTimeout(timer);
  const log = await stderr;
  assert.equal(
    signal,
    null,
    `still running 20 s after its pipe closed:\n${log}`,
  );
  assert.equal(code, 1, log);
  assert.match(
    log,
    /downstream writes failed; their events were refused/,
  );
  assert.match(log, /downstream lost for good; stopping/);
  assert.match(log, /the reader closed the pipe/);
});
