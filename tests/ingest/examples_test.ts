/**
 * The shipped examples work against a running ingest: every payload file is
 * accepted, and the attack scripts send the events the scenarios promise.
 */
import assert from "node:assert/strict";
import { withServer } from "./_helpers.ts";

const EXAMPLES = new URL("../../examples/", import.meta.url).pathname;

async function runScript(
  name: string,
  url: string,
  args: string[] = [],
  env: Record<string, string> = {},
) {
  const out = await new Deno.Command("bash", {
    args: [`${EXAMPLES}curl/${name}`, ...args],
    env: { INGEST_URL: url, ...env },
  }).output();
  const dec = new TextDecoder();
  return {
    code: out.code,
    stdout: dec.decode(out.stdout),
    stderr: dec.decode(out.stderr),
  };
}

Deno.test("examples/payloads: every file is accepted as it is by POST /events", async () => {
  const names: string[] = [];
  for await (const e of Deno.readDir(`${EXAMPLES}payloads`)) {
    if (e.name.endsWith(".json")) names.push(e.name);
  }
  assert.ok(names.length >= 5);
  await withServer({}, async (_s, url, sink) => {
    const r = await runScript("post-all.sh", url);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.equal(
      r.stdout.trim().split("\n").filter((l) => l.startsWith("202 ")).length,
      names.length,
    );
    assert.equal(sink.events().length, names.length);
    const sources = sink.events().map((e) => e.source_name);
    assert.ok(sources.includes("sshd") && sources.includes("http"));
  });
});

Deno.test("brute-force-ssh.sh: 12 failed sshd logins from one address, then an accepted one", async () => {
  await withServer({}, async (_s, url, sink) => {
    const r = await runScript("brute-force-ssh.sh", url);
    assert.equal(r.code, 0, r.stderr);
    const lines = sink.events().map((e) => e.payload as string);
    assert.equal(lines.length, 13);
    const failed = lines.filter((l) =>
      / sshd\[\d+\]: Failed password for .* from 203\.0\.113\.9 port \d+ ssh2$/
        .test(l)
    );
    assert.equal(failed.length, 12);
    assert.match(
      lines[12],
      / sshd\[\d+\]: Accepted password for admin from 203\.0\.113\.9 port \d+ ssh2$/,
    );
    assert.ok(
      lines.every((l) =>
        /^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d web-01 /.test(l)
      ),
      "RFC 3164 header",
    );
    assert.ok(sink.events().every((e) => e.source_name === "sshd"));
  });
});

Deno.test("post-log-file.sh ships a real log file gzip-compressed in batches of 5,000 lines: every line arrives, in order", async () => {
  const log = await Deno.readTextFile(
    new URL("../../../shared/datasets/logs/Linux_2k.log", import.meta.url),
  );
  // Three copies: 5,997 lines, so two batches.
  const lines = log.split(/\r?\n/).filter((l) => l !== "");
  const all = [...lines, ...lines, ...lines];
  const file = await Deno.makeTempFile({ suffix: ".log" });
  try {
    await Deno.writeTextFile(file, all.join("\n") + "\n");
    await withServer({}, async (_s, url, sink) => {
      const r = await runScript("post-log-file.sh", url, [file], {
        SOURCE_NAME: "linux-host",
      });
      assert.equal(r.code, 0, r.stderr + r.stdout);
      assert.deepEqual(r.stdout.trim().split("\n"), [
        '202 "accepted":5000',
        `202 "accepted":${all.length - 5000}`,
      ]);
      const events = sink.events();
      assert.deepEqual(events.map((e) => e.payload), all);
      assert.ok(events.every((e) => e.source_name === "linux-host"));
    });
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("post-log-file.sh with an empty file sends nothing and exits 0", async () => {
  const file = await Deno.makeTempFile({ suffix: ".log" });
  try {
    await withServer({}, async (_s, url, sink) => {
      const r = await runScript("post-log-file.sh", url, [file]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /is empty: nothing sent/);
      assert.equal(sink.events().length, 0);
    });
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("port-scan.sh: 25 distinct destination ports of one host from one address, mostly denied", async () => {
  await withServer({}, async (_s, url, sink) => {
    const r = await runScript("port-scan.sh", url);
    assert.equal(r.code, 0, r.stderr);
    const flows = sink.events().map((e) =>
      e.payload as {
        event: { outcome: string };
        source: { ip: string };
        destination: { ip: string; port: number };
        "@timestamp": string;
      }
    );
    assert.equal(flows.length, 25);
    assert.equal(new Set(flows.map((f) => f.destination.port)).size, 25);
    assert.deepEqual([...new Set(flows.map((f) => f.source.ip))], [
      "198.51.100.23",
    ]);
    assert.deepEqual([...new Set(flows.map((f) => f.destination.ip))], [
      "10.0.0.5",
    ]);
    assert.ok(flows.filter((f) => f.event.outcome === "failure").length >= 20);
    const times = flows.map((f) => Date.parse(f["@timestamp"]));
    assert.ok(Math.max(...times) - Math.min(...times) <= 30_000, "within 30 s");
  });
});

Deno.test("the attack scripts are detected downstream: ingest output through sentinel-parser and sentinel-detector raises the alerts", async () => {
  let ndjson = "";
  await withServer({}, async (_s, url, sink) => {
    assert.equal((await runScript("brute-force-ssh.sh", url)).code, 0);
    assert.equal((await runScript("port-scan.sh", url)).code, 0);
    ndjson = sink.records.map((r) => r.line + "\n").join("");
  });
  const root = new URL("../../", import.meta.url).pathname;
  const stage = (cli: string, args: string[]) =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", `${root}cli/${cli}`, ...args, "--log-level", "warn"],
      stdin: "piped",
      stdout: "piped",
      stderr: "null",
    }).spawn();
  const parser = stage("sentinel-parser.ts", []);
  const detector = stage("sentinel-detector.ts", ["--rules", `${root}sigma`]);
  const w = parser.stdin.getWriter();
  await w.write(new TextEncoder().encode(ndjson));
  await w.close();
  await parser.stdout.pipeTo(detector.stdin);
  const out = await new Response(detector.stdout).text();
  assert.equal((await parser.status).code, 0);
  assert.equal((await detector.status).code, 0);
  const titles = out.trim().split("\n").map((l) => JSON.parse(l))
    .filter((r) => r.record === "alert")
    .map((a) => a.rule?.title ?? a.rule_title);
  assert.ok(titles.some((t) => /SSH Brute Force/i.test(t)), titles.join(", "));
  assert.ok(titles.some((t) => /Port Scan/i.test(t)), titles.join(", "));
});
