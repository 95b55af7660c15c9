/** A Logger for the sink tests that keeps what it was told, to assert on. */
import type { Logger } from "../../stages/shared/log.ts";

/** A Logger whose messages land in `lines` as `LEVEL MSG {fields}`. */
export function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const log = (level: string) => (msg: string, f?: Record<string, unknown>) =>
    void lines.push(`${level} ${msg} ${JSON.stringify(f ?? {})}`);
  return {
    lines,
    debug: log("debug"),
    info: log("info"),
    warn: log("warn"),
    error: log("error"),
  } as unknown as Logger & { lines: string[] };
}
