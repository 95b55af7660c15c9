/**
 * Robustness over damaged input: real log lines (the shared Linux and
 * Apache logs) and the benchmark's mixed corpus (syslog 3164/5424, sshd,
 * CEF, LEEF, key=value, access logs, Zeek, Windows events, ECS objects),
 * mutated the way real data gets damaged, never throw out of the parser.
 * Every record ends as exactly one schema-valid enriched event that keeps
 * the original payload, or one schema-valid dead letter with a reason, so
 * nothing is lost and nothing is invented.
 */
import assert from "node:assert/strict";
import { isDeepStrictEqual } from "node:util";
import { createParser } from "../../stages/parser/mod.ts";
import { validatorFor } from "../../stages/shared/contracts/mod.ts";
import type { AnyRecord } from "../../stages/shared/records.ts";
import { mixedCorpus } from "../../bench/parser_bench.ts";
import { Mutator } from "../shared/_mutate.ts";
import { datasetLines, rawEvent } from "./_helpers.ts";

const validEnriched = validatorFor("enriched_event");
const validDeadLetter = validatorFor("dead_letter");

const corpus = (await mixedCorpus(2_000)).map((l) => JSON.parse(l).payload);
const realLines = [
  ...(await datasetLines("Linux_2k.log")),
  ...(await datasetLines("Apache_2k.log")),
];
const seeds: unknown[] = [...corpus, ...realLines];
const donors = seeds.map((s) => typeof s === "string" ? s : JSON.stringify(s));
/** Keys the parser looks for in JSON payloads, set to odd values now and then. */
const KEYS = [
  "@timestamp",
  "timestamp",
  "ts",
  "time",
  "event",
  "source",
  "message",
  "Event",
  "EventID",
  "uid",
  "id.orig_h",
  "query",
  "src_ip",
  "user",
];
const HINTS = ["syslog", "cef", "leef", "json", "zeek", "windows", "kv", "x"];

for (const seed of [1, 2, 3]) {
  Deno.test(`mutated real and corpus records (seed ${seed}, 10,000 of them): each is one valid enriched event keeping its payload or one valid dead letter`, () => {
    const m = new Mutator(seed, donors);
    const parser = createParser();
    let enriched = 0, dead = 0;
    for (let i = 0; i < 10_000; i++) {
      const base = m.pick(seeds);
      const payload = m.random() < 0.9 ? m.value(base, KEYS) : base;
      const raw = rawEvent(payload as string);
      if (m.random() < 0.05) raw.format = m.pick(HINTS);
      const out: AnyRecord[] = [];
      const at = `seed ${seed}, record ${i}: ${JSON.stringify(payload)}`;
      try {
        parser.push(
          raw,
          { emit: (r) => out.push(r), forward: (r) => out.push(r) },
          { line: i + 1 },
        );
      } catch (e) {
        assert.fail(`threw ${(e as Error).stack} on ${at}`);
      }
      assert.ok(out.length >= 1, `nothing emitted for ${at}`);
      const first = out[0] as unknown as Record<string, unknown>;
      assert.equal(first.event_id, raw.event_id, at);
      if (first.record === "enriched_event") {
        enriched++;
        // Extra records are only the copies of a "message repeated N times" line.
        for (const r of out) {
          assert.equal(r.record, "enriched_event", at);
          const bad = validEnriched(r);
          assert.equal(bad, null, `${bad?.join("; ")} on ${at}`);
        }
        assert.ok(
          isDeepStrictEqual(first.payload, payload),
          `payload kept: ${at}`,
        );
      } else {
        dead++;
        assert.equal(first.record, "dead_letter", at);
        assert.equal(out.length, 1, at);
        const bad = validDeadLetter(first);
        assert.equal(bad, null, `${bad?.join("; ")} on ${at}`);
        assert.equal(first.stage, "parser");
        assert.notEqual(first.reason_code, "processing_error", at);
        assert.ok(String(first.reason).length > 5, at);
      }
    }
    // Both outcomes are exercised: the mutations neither all parse nor all fail.
    assert.ok(enriched > 3_000 && dead > 1_000, `${enriched} / ${dead}`);
  });
}
