/**
 * Structured logs: one JSON object per line on stderr, so stdout carries only
 * records. Levels filter cheaply; nothing here belongs on a per-event path.
 */

/** Log levels, most verbose first. `silent` turns logging off. */
export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";

/** The accepted `--log-level` values. */
export const LOG_LEVELS: readonly LogLevel[] = [
  "debug",
  "info",
  "warn",
  "error",
  "silent",
];

const RANK: Record<LogLevel, number> = {
  debug: 10,
  info: 20,
  warn: 30,
  error: 40,
  silent: 100,
};

/** Fields attached to a log line. */
export type LogFields = Record<string, unknown>;

/** A logger bound to one stage. */
export interface Logger {
  readonly level: LogLevel;
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** True when `level` would be written (guard expensive field building). */
  enabled(level: LogLevel): boolean;
  /** A logger that adds `fields` to every line. */
  child(fields: LogFields): Logger;
}

/** Where log lines go; stderr by default, replaceable in tests. */
export type LogWriter = (line: string) => void;

const encoder = new TextEncoder();
const stderrWriter: LogWriter = (line) => {
  try {
    Deno.stderr.writeSync(encoder.encode(line + "\n"));
  } catch {
    // stderr closed: nothing sensible to do with a log line.
  }
};

/**
 * Creates a logger for `stage`.
 * @default level "info"
 */
export function createLogger(
  stage: string,
  level: LogLevel = "info",
  write: LogWriter = stderrWriter,
  bound: LogFields = {},
): Logger {
  const min = RANK[level];
  const log =
    (lvl: Exclude<LogLevel, "silent">) => (msg: string, fields?: LogFields) => {
      if (RANK[lvl] < min) return;
      const line: LogFields = {
        ts: new Date().toISOString(),
        level: lvl,
        stage,
        msg,
        ...bound,
        ...fields,
      };
      write(JSON.stringify(line, errorReplacer));
    };
  return {
    level,
    debug: log("debug"),
    info: log("info"),
    warn: log("warn"),
    error: log("error"),
    enabled: (l) => RANK[l] >= min && l !== "silent",
    child: (fields) =>
      createLogger(stage, level, write, { ...bound, ...fields }),
  };
}

function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) {
    return { name: value.name, message: value.message };
  }
  if (typeof value === "bigint") return value.toString();
  return value;
}
