import assert from "node:assert/strict";
import { readbackSql, recordFromRow } from "../../stages/sink/readback.ts";
import { startClickHouseHttp } from "../harness/clickhouse_http.ts";
import { ALERTS, DEAD_LETTERS, EVENTS, ndjson } from "./_fixtures.ts";
import { sink } from "./_run.ts";

const ALL = [...EVENTS, ...ALERTS, ...DEAD_LETTERS];
const USER = "sentinel";
const PASSWORD = "s3cret";

function parseRows(text: string) {
  return text.trim() ? text.trim().split("\n").map((l) => JSON.parse(l)) : [];
}

const RETRY = /"msg":"insert failed, retrying"/;

/**
 * Collects a child's stderr line by line and lets a test wait until a log
 * line shows up (an explicit signal from the child, not a sleep).
 */
function watchLines(stream: ReadableStream<Uint8Array>) {
  const lines: string[] = [];
  let wake: () => void = () => {};
  let ended = false;
  const done = (async () => {
    let buf = "";
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      buf += chunk;
      let i;
      while ((i = buf.indexOf("\n")) >= 0) {
        lines.push(buf.slice(0, i));
        buf = buf.slice(i + 1);
      }
      wake();
    }
    if (buf) lines.push(buf);
    ended = true;
    wake();
  })();
  const count = (re: RegExp) => lines.filter((l) => re.test(l)).length;
  return {
    done,
    count,
    text: () => lines.join("\n"),
    /** Resolves once `n` lines match `re`; throws if the child ends first. */
    async until(re: RegExp, n: number) {
      while (count(re) < n) {
        if (ended) {
          throw new Error(`child ended before ${re}:\n${lines.join("\n")}`);
        }
        await new Promise<void>((r) => wake = r);
      }
    },
  };
}

/** Many distinct events, to span several inserts. */
function manyEvents(n: number, offset: number) {
  return Array.from({ length: n }, (_, i) => ({
    ...EVENTS[i % EVENTS.length],
    event_id: `0b6c1d1e-1111-4222-8333-${
      (offset + i).toString(16).padStart(12, "0")
    }`,
  }));
}

Deno.test("sink over @clickhouse/client: stores, reads back equal, reports ClickHouse errors, survives a server that goes away", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "sink_http_" });
  const ch = await startClickHouseHttp({ dir, user: USER, password: PASSWORD });
  const out = `http://${USER}:${PASSWORD}@127.0.0.1:${ch.port}/sentinel`;
  try {
    await t.step("stores every record type and reads back equal", async () => {
      const r = await sink([
        "--out",
        out,
        "--create-schema",
        "--summary",
        "text",
      ], ndjson(ALL));
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /events stored: 5/);
      const events = parseRows(await ch.sql(readbackSql("events"))).map((x) =>
        recordFromRow("events", x)
      );
      assert.equal(events.length, EVENTS.length);
      for (const e of EVENTS) {
        assert.deepEqual(
          events.find((x) =>
            (x as { event_id: string }).event_id === e.event_id
          ),
          e,
        );
      }
      const alerts = parseRows(await ch.sql(readbackSql("alerts"))).map((x) =>
        recordFromRow("alerts", x)
      );
      assert.equal(alerts.length, 2);
    });

    await t.step(
      "database errors come back as ClickHouse errors: wrong password exits 2, bad SQL is reported",
      async () => {
        const wrong = `http://${USER}:nope@127.0.0.1:${ch.port}/sentinel`;
        const r = await sink(
          ["--out", wrong, "--summary", "none"],
          ndjson(EVENTS),
        );
        assert.equal(r.code, 2);
        assert.match(r.stderr, /Authentication failed/);
        const q = await sink([
          "query",
          "--out",
          out,
          "SELECT nope FROM sentinel.events",
        ]);
        assert.equal(q.code, 2);
        assert.match(q.stderr, /UNKNOWN_IDENTIFIER|Unknown expression/);
        const raw = await fetch(`${ch.url}/?query=SELEC%201`, {
          headers: { authorization: "Basic " + btoa(`${USER}:${PASSWORD}`) },
        });
        assert.equal(raw.status, 400);
        assert.equal(raw.headers.get("x-clickhouse-exception-code"), "62");
        assert.match(
          await raw.text(),
          /^Code: 62\. DB::Exception: .*\(SYNTAX_ERROR\)/,
        );
      },
    );

    await t.step(
      "a server that refuses, drops and loses acknowledgements: nothing is lost or duplicated",
      async () => {
        const batch = manyEvents(300, 0x1000);
        const before = Number(
          parseRows(
            await ch.sql("SELECT count() AS n FROM sentinel.events FINAL"),
          )[0].n,
        );
        const at = await ch.counters();
        // Injected 503s, then the server goes away while the sink is running.
        await ch.control("fail 2 202");
        const args = [
          "--out",
          out,
          "--batch-rows",
          "100",
          "--retry-backoff-ms",
          "50",
          "--max-retries",
          "30",
          "--summary",
          "json",
        ];
        const child = new Deno.Command(Deno.execPath(), {
          args: [
            "run",
            "-A",
            "--config",
            new URL("../../deno.json", import.meta.url).pathname,
            new URL("../../cli/sentinel-sink.ts", import.meta.url).pathname,
            ...args,
          ],
          stdin: "piped",
          stdout: "null",
          stderr: "piped",
        }).spawn();
        const sinkLog = watchLines(child.stderr);
        const w = child.stdin.getWriter();
        // Every fault is switched on only after the sink acted on the
        // previous one, signalled by the harness or the sink's own log.
        await w.write(new TextEncoder().encode(ndjson(batch.slice(0, 100))));
        await ch.waitFor("failures", at.failures + 2); // both 503s answered
        await ch.waitFor("inserts", at.inserts + 1); // then the batch stored
        await ch.control("refuse");
        const retried = sinkLog.count(RETRY);
        await w.write(new TextEncoder().encode(ndjson(batch.slice(100, 200))));
        await sinkLog.until(RETRY, retried + 1); // refused, retrying
        await ch.control("drop");
        await ch.waitFor("dropped", 1); // a retry met the dropping server
        await ch.control("back");
        // The next insert executes but its answer is lost: the sink retries it.
        await ch.control("lose-ack 1");
        await w.write(new TextEncoder().encode(ndjson(batch.slice(200))));
        await w.close();
        const [o] = await Promise.all([child.status, sinkLog.done]);
        const stderr = sinkLog.text();
        assert.equal(o.code, 0, stderr);
        const summary = stderr.split("\n").filter((l) =>
          l.includes('"sink summary"')
        ).map((l) =>
          JSON.parse(l)
        )[0];
        assert.ok(
          summary.retries >= 3,
          `expected retries, got ${summary.retries}`,
        );
        const after = parseRows(
          await ch.sql(
            "SELECT (SELECT count() FROM sentinel.events FINAL) AS n, (SELECT uniqExact(event_id) FROM sentinel.events) AS ids",
          ),
        )[0];
        assert.equal(Number(after.n), before + 300);
        assert.equal(Number(after.ids), before + 300);
        const counters = await ch.counters();
        assert.ok(counters.failures >= 2);
      },
    );
  } finally {
    await ch.close();
    await Deno.remove(dir, { recursive: true });
  }
});
