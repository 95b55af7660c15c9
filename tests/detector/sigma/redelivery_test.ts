/**
 * At-least-once delivery hands the detector some events twice: Kafka
 * re-reads the held-back input after a rebalance or a broker restart, a
 * producer retries a batch that had landed. A correlation counts each
 * event once, so six failed logins read twice are still six, not a brute
 * force of twelve.
 */
import assert from "node:assert/strict";
import { runPipe } from "../../../scripts/pipe.ts";
import { detector } from "./_run.ts";

/** The parser's enriched events for syslog `lines`. */
async function enriched(lines: string[]): Promise<string[]> {
  const r = await runPipe([
    { bin: "sentinel-parser", args: ["--in-format", "lines"] },
  ], { input: new TextEncoder().encode(lines.join("\n") + "\n") });
  assert.equal(r.stages[0].code, 0, r.stages[0].stderr);
  return new TextDecoder().decode(r.stdout).split("\n").filter(Boolean);
}

function failures(n: number): string[] {
  return Array.from({ length: n }, (_, i) => {
    const s = String(i * 3).padStart(2, "0");
    return `Nov 24 10:00:${s} web1 sshd[${
      5000 + i
    }]: Failed password for root from 198.51.100.7 port ${40000 + i} ssh2`;
  });
}
const ACCEPTED =
  "Nov 24 10:01:00 web1 sshd[5999]: Accepted password for root from 198.51.100.7 port 41000 ssh2";

async function run(events: string[]) {
  const r = await detector(
    ["--rules", "./sigma", "--anomaly", "off"],
    events.join("\n") + "\n",
  );
  assert.equal(r.code, 0, r.stderr);
  const titles = r.stdout.split("\n")
    .filter((l) => l.includes('"record":"alert"'))
    .map((l) => (JSON.parse(l) as { rule: { title: string } }).rule.title)
    .sort();
  const summary = r.stderr.split("\n").find((l) => l.includes('"summary"'));
  const duplicates = Number(/"duplicates":(\d+)/.exec(summary ?? "")?.[1]);
  return { titles, duplicates };
}

Deno.test("six failed logins each delivered twice (a producer retry) raise nothing, and the copies are counted", async () => {
  const events = await enriched([...failures(6), ACCEPTED]);
  const twice = events.flatMap((e) => e.includes("Failed") ? [e, e] : [e]);
  const { titles, duplicates } = await run(twice);
  assert.deepEqual(titles, []);
  assert.ok(duplicates >= 6, `duplicates counted: ${duplicates}`);
});

Deno.test("the held-back input read again after newer events (a Kafka rebalance) raises nothing either", async () => {
  const events = await enriched([...failures(6), ACCEPTED]);
  const { titles } = await run([...events, ...events]);
  assert.deepEqual(titles, []);
});

Deno.test("control: twelve distinct failed logins and the success raise the brute force and the breach", async () => {
  const events = await enriched([...failures(12), ACCEPTED]);
  const { titles } = await run([...events, ...events]);
  assert.deepEqual(titles, [
    "SSH Brute Force Attempts",
    "SSH Brute Force Followed By Successful Login",
  ]);
});
