/**
 * The examples in `sentinel-generator --help` are meant to be pasted: each
 * must end on its own within seconds. The test reads them from the help and
 * works out, from their flags, how long each runs (no clock involved): a
 * synthetic run lasts --duration or --count / --rate; a replay with --speed
 * lasts the replayed log's own time span divided by the factor (computed
 * from the shared Linux_2k.log, which spans Jun 14 – Jul 27: at --speed 60
 * that was 17 hours).
 */
import assert from "node:assert/strict";
import { gen } from "./_run.ts";

/** What "within seconds" means for a pasted example. */
const MAX_EXAMPLE_S = 30;

/** Seconds between the first and the last of the first `n` syslog lines. */
function syslogSpanS(text: string, n = Infinity): number {
  const times: number[] = [];
  for (const line of text.split("\n")) {
    if (times.length >= n) break;
    const m = /^([A-Z][a-z]{2}) +(\d+) (\d\d):(\d\d):(\d\d)/.exec(line);
    if (!m) continue;
    // Syslog has no year; one year for all lines (the log has no new year).
    times.push(Date.parse(`${m[1]} ${m[2]} 2005 ${m[3]}:${m[4]}:${m[5]} UTC`));
  }
  assert.ok(times.length > 1, "no syslog timestamps");
  return (Math.max(...times) - Math.min(...times)) / 1000;
}

/** An example's words, without its trailing `# comment`. */
function words(example: string): string[] {
  return example.replace(/\s+#.*$/, "").trim().split(/\s+/);
}

/** The flags of one example's generator command (up to a pipe or redirect). */
function flags(example: string): Map<string, string | true> {
  const words_ = words(example);
  assert.equal(words_[0], "sentinel-generator", example);
  const out = new Map<string, string | true>();
  for (let i = 1; i < words_.length; i++) {
    const w = words_[i];
    if (w === "|" || w === ">") break;
    if (!w.startsWith("--")) continue;
    const next = words_[i + 1];
    if (next !== undefined && !next.startsWith("--") && next !== "|") {
      out.set(w.slice(2), next);
      i++;
    } else out.set(w.slice(2), true);
  }
  return out;
}

/** The example's run time in seconds, from its flags; Infinity when unbounded. */
async function runSeconds(
  example: string,
  defaultRate: number,
): Promise<number> {
  const f = flags(example);
  const num = (k: string) => f.has(k) ? Number(f.get(k)) : undefined;
  const count = num("count"), duration = num("duration"), rate = num("rate");
  const replay = f.get("replay");
  let s: number;
  if (typeof replay === "string") {
    const speed = num("speed");
    if (speed !== undefined) {
      // Paths in examples are relative to the repo root, as the user runs them.
      const file = new URL(`../../${replay}`, import.meta.url);
      s = syslogSpanS(await Deno.readTextFile(file), count) / speed;
    } else if (rate !== undefined && rate > 0) {
      s = count === undefined ? Infinity : count / rate;
    } else s = 0; // as fast as possible
  } else {
    const r = rate ?? defaultRate;
    if (count !== undefined) s = r > 0 ? count / r : 0;
    else s = duration ?? Infinity;
  }
  // --duration also bounds a run by the wall clock.
  return Math.min(s, duration ?? Infinity);
}

Deno.test("every sentinel-generator --help example ends within seconds (the Linux_2k replay with --speed included)", async () => {
  const help = await gen(["--help"]);
  assert.equal(help.code, 0, help.stderr);
  const examples = help.stdout.split("\nExamples:\n")[1]
    .split("\n\n")[0].split("\n").map((l) => l.trim()).filter((l) => l);
  const defaultRate = Number(/Default: (\d+)\./.exec(help.stdout)?.[1]);
  assert.ok(defaultRate > 0, "default --rate not found in --help");
  // The replay example still shows --speed (original timing, sped up).
  assert.ok(
    examples.some((e) => /--replay \S*Linux_2k\.log .*--speed /.test(e)),
    examples.join("\n"),
  );
  const slow: string[] = [];
  for (const e of examples) {
    const s = await runSeconds(e, defaultRate);
    if (s > MAX_EXAMPLE_S) slow.push(`${Math.round(s)} s: ${e}`);
  }
  assert.deepEqual(slow, [], `examples over ${MAX_EXAMPLE_S} s`);
});

Deno.test("the --speed replay example from --help runs and replays every line", async () => {
  const help = (await gen(["--help"])).stdout;
  const example = help.split("\n").map((l) => l.trim())
    .find((l) =>
      /^sentinel-generator --replay \S*Linux_2k\.log .*--speed /.test(l)
    );
  assert.ok(example, help);
  // Checked before running it, so a slow example fails here, not after hours.
  const defaultRate = Number(/Default: (\d+)\./.exec(help)?.[1]);
  assert.ok(await runSeconds(example, defaultRate) <= MAX_EXAMPLE_S, example);
  const args = words(example).slice(1);
  const r = await gen(args);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim().split("\n").length, 2000);
});
