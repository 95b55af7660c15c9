/** A Logger for the anomaly tests that keeps what it was told, to assert on. */
import type { Logger } from "../../../stages/shared/log.ts";

/** One logged message and its level. */
export type Line = { level: string; msg: string };

/** A debug-level Logger that appends every message to `lines`. */
export function recordingLogger(lines: Line[]): Logger {
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
