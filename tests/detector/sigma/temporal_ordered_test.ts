/**
 * temporal_ordered correlations keep a running "latest chain start" per
 * rule position instead of rescanning the window on every hit (a busy
 * group — a NAT address with thousands of logins in the timespan — made
 * each hit O(window)). Checked against a straightforward scan of the
 * window, on random streams with ties and out-of-order events.
 */
import assert from "node:assert/strict";
import type { EnrichedEvent } from "../../../stages/shared/contracts/mod.ts";
import { mulberry32 } from "../../../stages/shared/random.ts";
import { at, event, rulesFrom, runAll } from "./_helpers.ts";

const step = (name: string, n: number, action: string) =>
  `title: Step ${name}
id: 30000000-0000-4000-8000-00000000000${n}
name: step_${name}
logsource: {}
detection:
  sel:
    action: ${action}
  condition: sel
level: low
`;

const SPAN_S = 60;
const LATENESS_S = 30;

/** The three steps and the ordered correlation over them; `gte`: how many in order suffice. */
function rules(gte?: number): string {
  return [
    step("a", 1, "recon"),
    step("b", 2, "exploit"),
    step("c", 3, "persist"),
    `title: Kill Chain In Order
id: 30000000-0000-4000-8000-000000000009
correlation:
  type: temporal_ordered
  rules: [step_a, step_b, step_c]
  group-by: [source.ip]
  timespan: ${SPAN_S}s
${gte === undefined ? "" : `  condition:\n    gte: ${gte}\n`}level: high
`,
  ].join("---\n");
}
const RULES = rules();

const ACTIONS = ["recon", "exploit", "persist"];

function hit(sec: number, ref: number, ip: string): EnrichedEvent {
  const ts = at(sec);
  return event({
    ts,
    received_at: ts,
    action: ACTIONS[ref],
    source: { ip },
  });
}

/**
 * Reference: the engine's windows and suppression, with the window measured
 * by scanning it for refs 0, 1, 2 in order (the previous implementation).
 */
function reference(
  events: { sec: number; ref: number; ip: string }[],
  opts: { need?: number; cap?: number } = {},
) {
  const needed = opts.need ?? 3;
  const cap = opts.cap ?? Infinity;
  const span = SPAN_S * 1000;
  const lateness = LATENESS_S * 1000;
  const groups = new Map<
    string,
    { ts: number[]; refs: number[]; suppressedUntil: number }
  >();
  const fired: { ip: string; end: number }[] = [];
  const inOrder = (
    g: { ts: number[]; refs: number[] },
    lo: number,
    hi: number,
  ) => {
    let need = 0;
    for (let i = lo; i <= hi && need < 3; i++) if (g.refs[i] === need) need++;
    return need >= needed;
  };
  const fire = (
    ip: string,
    g: { suppressedUntil: number },
    end: number,
  ) => {
    // One alert per ongoing incident: a suppressed window meeting the
    // condition extends the silence.
    if (end <= g.suppressedUntil) {
      g.suppressedUntil = Math.max(g.suppressedUntil, end + span);
      return;
    }
    g.suppressedUntil = end + span;
    fired.push({ ip, end });
  };
  for (const e of events) {
    const t = e.sec * 1000;
    let g = groups.get(e.ip);
    if (g === undefined) {
      g = { ts: [], refs: [], suppressedUntil: -Infinity };
      groups.set(e.ip, g);
    }
    const newest = g.ts.length ? g.ts[g.ts.length - 1] : -Infinity;
    if (t < newest - lateness) continue; // late beyond the allowance
    let pos = g.ts.length;
    while (pos > 0 && g.ts[pos - 1] > t) pos--;
    g.ts.splice(pos, 0, t);
    g.refs.splice(pos, 0, e.ref);
    // Past the per-group cap the oldest entries go, the new one included
    // when it is among them.
    if (g.ts.length > cap) {
      const evict = g.ts.length - cap;
      g.ts.splice(0, evict);
      g.refs.splice(0, evict);
      pos -= evict;
      if (pos < 0) continue;
    }
    const last = g.ts.length - 1;
    const lowerBound = (x: number) => {
      let i = 0;
      while (g!.ts[i] < x) i++;
      return i;
    };
    if (pos === last) {
      if (inOrder(g, lowerBound(t - span), last)) fire(e.ip, g, t);
      continue;
    }
    for (let hi = pos; hi <= last; hi++) {
      const end = g.ts[hi];
      if (end - span > t) break;
      if (hi < last && g.ts[hi + 1] === end) continue;
      if (inOrder(g, lowerBound(end - span), hi)) {
        fire(e.ip, g, end);
        break;
      }
    }
  }
  return fired;
}

for (
  const [what, cfg] of [
    ["", {}],
    [", a per-group cap of 4 entries", { cap: 4 }],
    [", a 'gte: 2' condition", { need: 2 }],
  ] as [string, { need?: number; cap?: number }][]
) {
  Deno.test(`temporal_ordered: the running chain agrees with a window scan on random streams with ties and late events${what}`, () => {
    randomAgreement(cfg);
  });
}

function randomAgreement(cfg: { need?: number; cap?: number }): void {
  const set = rulesFrom(rules(cfg.need));
  assert.deepEqual(set.errors, []);
  const next = mulberry32(7);
  const rnd = () => next() / 2 ** 32;
  let alertsSeen = 0;
  for (let round = 0; round < 300; round++) {
    const events: { sec: number; ref: number; ip: string }[] = [];
    let clock = 0;
    const n = 5 + Math.floor(rnd() * 60);
    for (let i = 0; i < n; i++) {
      clock += Math.floor(rnd() * 12); // ties when 0
      // One event in five arrives late, up to 40 s back (beyond the 30 s
      // allowance now and then).
      const late = rnd() < 0.2 ? Math.floor(rnd() * 40) : 0;
      events.push({
        sec: Math.max(0, clock - late),
        ref: Math.floor(rnd() * 3),
        ip: rnd() < 0.8 ? "198.51.100.7" : "198.51.100.8",
      });
    }
    const want = reference(events, cfg);
    const { alerts } = runAll(
      set,
      events.map((e) => hit(e.sec, e.ref, e.ip)),
      { latenessMs: LATENESS_S * 1000, maxEntriesPerGroup: cfg.cap },
    );
    const got = alerts.map((a) => ({
      ip: (a.group as Record<string, string>)["source.ip"],
      end: Date.parse(a.window!.end) - Date.parse(at(0)),
    }));
    assert.deepEqual(
      got,
      want.map((w) => ({ ip: w.ip, end: w.end })),
      `round ${round}: ${JSON.stringify(events)}`,
    );
    alertsSeen += got.length;
  }
  assert.ok(alertsSeen > 50, `only ${alertsSeen} alerts: streams too sparse`);
}

Deno.test("temporal_ordered: a busy group still alerts on the chain at its end", () => {
  const set = rulesFrom(RULES);
  // 5,000 unrelated 'persist' hits from one address within the timespan,
  // then recon → exploit → persist: the chain completes at the last event.
  const events = [];
  for (let i = 0; i < 5000; i++) events.push(hit(i / 100, 2, "198.51.100.9"));
  events.push(hit(50, 0, "198.51.100.9"));
  events.push(hit(51, 1, "198.51.100.9"));
  assert.equal(runAll(set, events).alerts.length, 0, "no persist after b yet");
  events.push(hit(52, 2, "198.51.100.9"));
  const { alerts } = runAll(set, events);
  assert.equal(alerts.length, 1);
  assert.equal(alerts[0].window!.end, at(52));
});
