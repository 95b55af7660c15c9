/**
 * Review A9: without --model the anomaly detector learns "normal" from the
 * first live events, so an attacker active at start-up becomes baseline.
 * The detector must say so at warn level, not bury it in info.
 */
import assert from "node:assert/strict";
import type { Logger } from "../../../stages/shared/log.ts";
import { anomalyDetectorFromFlags } from "../../../stages/detector/anomaly/cli.ts";

function recordingLogger(lines: { level: string; msg: string }[]): Logger {
  const at = (level: string) => (msg: string) =>
    void lines.push({ level, msg });
  const l: Logger = {
    level: "debug",
    debug: at("debug"),
    info: at("info"),
    warn: at("warn"),
    error: at("error"),
    enabled: () => true,
    child: () => l,
  };
  return l;
}

Deno.test("A9: training on live traffic (no --model) is a start-up warning", async () => {
  const lines: { level: string; msg: string }[] = [];
  const d = await anomalyDetectorFromFlags(
    { anomaly: "auto" },
    recordingLogger(lines),
  );
  assert.ok(d);
  const warn = lines.find((l) => l.level === "warn");
  assert.ok(warn, JSON.stringify(lines));
  assert.match(warn.msg, /baseline|live|--model/);
});
