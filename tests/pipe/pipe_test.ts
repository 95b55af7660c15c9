/**
 * The whole loop as a user runs it: the four binaries as subprocesses
 * connected by pipes (not function calls), exactly the README's pipe.
 */
import assert from "node:assert/strict";
import { runPipe } from "../../scripts/pipe.ts";
import { validateRecord } from "../../stages/shared/contracts/mod.ts";
import type { Alert } from "../../stages/shared/contracts/mod.ts";
import type { AnyRecord } from "../../stages/shared/records.ts";
import { mixedCorpus } from "../../bench/parser_bench.ts";
import { Mutator } from "../shared/_mutate.ts";

const decoder = new TextDecoder();

function records(bytes: Uint8Array): AnyRecord[] {
  return decoder.decode(bytes).split("\n").filter((l) => l.length).map((l) =>
    JSON.parse(l)
  );
}

function assertAllValid(hop: string, recs: AnyRecord[]) {
  const bad = recs.map((r) => [r, validateRecord(r)] as const).filter(([, e]) =>
    e
  );
  assert.equal(
    bad.length,
    0,
    `${hop}: ${bad.length} invalid lines, first: ${JSON.stringify(bad[0])}`,
  );
}

const count = (recs: AnyRecord[], type: string) =>
  recs.filter((r) => r.record === type).length;

/** Rule titles of the alerts the injected scenarios must raise. */
const ATTACK_ALERTS: Record<string, RegExp> = {
  brute_force_ssh: /brute.?force/i,
  port_scan: /port.?scan/i,
};

async function runLoop(inject: string[]) {
  const store = await Deno.makeTempDir({ prefix: "sentinel-pipe-" });
  const result = await runPipe([
    {
      bin: "sentinel-generator",
      args: [
        "--dry-run",
        "--rate",
        "200",
        "--duration",
        "5",
        "--seed",
        "7",
        ...inject.flatMap((s) => ["--inject", s]),
      ],
    },
    { bin: "sentinel-parser", args: [] },
    { bin: "sentinel-detector", args: ["--rules", "./sigma"] },
    {
      bin: "sentinel-sink",
      args: ["--out", `chdb:${store}`, "--summary", "json"],
    },
  ], { tap: true });
  for (const s of result.stages) {
    assert.equal(
      s.code,
      0,
      `${s.bin} exited ${s.code}: ${s.stderr.slice(-2000)}`,
    );
  }
  const [generated, parsed, detected] = result.taps!.map(records);
  return { store, generated, parsed, detected, result };
}

async function query(
  store: string,
  sql: string,
): Promise<Record<string, unknown>[]> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--quiet",
      "cli/sentinel-sink.ts",
      "query",
      sql,
      "--out",
      `chdb:${store}`,
      "--format",
      "json",
    ],
    cwd: new URL("../../", import.meta.url).pathname,
  }).output();
  assert.equal(out.code, 0, decoder.decode(out.stderr));
  const text = decoder.decode(out.stdout).trim();
  return text.startsWith("[")
    ? JSON.parse(text)
    : text.split("\n").filter(Boolean).map((l) => JSON.parse(l));
}

Deno.test("the pipe detects injected brute force and port scan, every line is valid, and counts add up", async () => {
  const { store, generated, parsed, detected } = await runLoop([
    "brute_force_ssh",
    "port_scan",
  ]);
  try {
    // --rate 200 --duration 5 means exactly 1000 events.
    assert.equal(generated.length, 1000);
    assertAllValid("generator", generated);
    assertAllValid("parser", parsed);
    assertAllValid("detector", detected);

    // The parser accounts for every raw event: enriched or dead letter.
    assert.equal(
      count(parsed, "enriched_event") + count(parsed, "dead_letter"),
      generated.length,
    );

    const alerts = detected.filter((r): r is Alert => r.record === "alert");
    for (const [scenario, title] of Object.entries(ATTACK_ALERTS)) {
      const hits = alerts.filter((a) => title.test(a.rule.title));
      assert.ok(
        hits.length > 0,
        `${scenario}: no alert; alerts were ${
          [...new Set(alerts.map((a) => a.rule.title))].join(", ")
        }`,
      );
      // The alert points at the attacker and its evidence is the injected events.
      const injected = new Set(
        generated.filter((g) =>
          g.record === "raw_event" && g.ground_truth?.scenario === scenario
        ).map((g) => (g as { event_id: string }).event_id),
      );
      assert.ok(
        hits.some((a) => a.evidence.event_ids.some((id) => injected.has(id))),
        `${scenario}: evidence is not the injected events`,
      );
    }

    // What the sink stored adds up: every generated event is an enriched event or a dead letter.
    const [events] = await query(
      store,
      "SELECT count() AS n FROM (SELECT DISTINCT event_id FROM sentinel.events)",
    );
    const [dead] = await query(
      store,
      "SELECT count() AS n FROM (SELECT DISTINCT dead_letter_id FROM sentinel.dead_letters)",
    );
    const [stored] = await query(
      store,
      "SELECT count() AS n FROM (SELECT DISTINCT alert_id FROM sentinel.alerts)",
    );
    assert.equal(
      Number(events.n) + Number(dead.n),
      generated.length,
      "events in = events stored + dead letters",
    );
    assert.equal(
      Number(stored.n),
      new Set(alerts.map((a) => a.alert_id)).size,
      "every alert is stored once",
    );
  } finally {
    await Deno.remove(store, { recursive: true });
  }
});

Deno.test("baseline traffic alone raises none of the attack alerts", async () => {
  const { store, detected } = await runLoop([]);
  try {
    assertAllValid("detector", detected);
    const alerts = detected.filter((r): r is Alert => r.record === "alert");
    for (const [scenario, title] of Object.entries(ATTACK_ALERTS)) {
      const fp = alerts.filter((a) => title.test(a.rule.title));
      assert.equal(
        fp.length,
        0,
        `${scenario} alert on baseline: ${JSON.stringify(fp[0])}`,
      );
    }
  } finally {
    await Deno.remove(store, { recursive: true });
  }
});

Deno.test("damaged input through parser, detector and sink: every line ends stored as an event or a dead letter, no stage fails, the store refuses nothing", async () => {
  // 5,000 raw events of the bench's mixed corpus (syslog, sshd, CEF, LEEF,
  // key=value, access logs, Zeek, Windows, ECS), 90% with damaged
  // payloads, 5% of the lines torn mid-JSON.
  const corpus = (await mixedCorpus(1_000)).map((l) => JSON.parse(l));
  const m = new Mutator(
    11,
    corpus.map((r) =>
      typeof r.payload === "string" ? r.payload : JSON.stringify(r.payload)
    ),
  );
  const lines: string[] = [];
  for (let i = 0; i < 5_000; i++) {
    const base = m.pick(corpus);
    let line = JSON.stringify({
      ...base,
      event_id: `00000000-0000-4000-8000-${i.toString(16).padStart(12, "0")}`,
      payload: m.random() < 0.9 ? m.value(base.payload) : base.payload,
    });
    if (m.random() < 0.05) {
      line = line.slice(0, Math.floor(m.random() * line.length));
    }
    lines.push(line);
  }
  const store = await Deno.makeTempDir({ prefix: "sentinel-damaged-" });
  try {
    const result = await runPipe([
      { bin: "sentinel-parser", args: [] },
      { bin: "sentinel-detector", args: ["--rules", "./sigma"] },
      {
        bin: "sentinel-sink",
        args: ["--out", `chdb:${store}`, "--summary", "json"],
      },
    ], { input: new TextEncoder().encode(lines.join("\n") + "\n"), tap: true });
    for (const st of result.stages) {
      assert.equal(st.code, 0, `${st.bin}: ${st.stderr.slice(-2000)}`);
    }
    const [parsed, detected] = result.taps!.map(records);
    assertAllValid("parser", parsed);
    assertAllValid("detector", detected);
    const [events] = await query(
      store,
      "SELECT count() AS n FROM (SELECT DISTINCT event_id FROM sentinel.events)",
    );
    const dead = await query(
      store,
      "SELECT stage, reason_code, count() AS n FROM (SELECT DISTINCT dead_letter_id, stage, reason_code FROM sentinel.dead_letters) GROUP BY stage, reason_code ORDER BY stage, reason_code",
    );
    const deadTotal = dead.reduce((n, d) => n + Number(d.n), 0);
    assert.equal(
      Number(events.n) + deadTotal,
      lines.length,
      `lines in = events stored + dead letters (${JSON.stringify(dead)})`,
    );
    // Only the parser refuses (bad JSON, bad payloads): nothing failed in a
    // stage and nothing was refused by the detector or the database.
    assert.deepEqual(
      [...new Set(dead.map((d) => d.stage))],
      ["parser"],
      JSON.stringify(dead),
    );
    assert.ok(!dead.some((d) => d.reason_code === "processing_error"));
    assert.ok(
      Number(events.n) > 2_000 && deadTotal > 500,
      JSON.stringify(dead),
    );
  } finally {
    await Deno.remove(store, { recursive: true });
  }
});
