/**
 * One flag convention for every binary: kebab-case flags parsed with
 * `node:util` `parseArgs`, each with an environment twin
 * (`--max-line-bytes` ↔ `SENTINEL_MAX_LINE_BYTES`; the flag wins), `--help`
 * with usage and examples, `--version`, `--log-level`, and exit codes
 * 0 (done), 1 (runtime failure), 2 (bad usage or configuration).
 */
import { parseArgs } from "node:util";
import { createLogger, LOG_LEVELS, type LogLevel } from "./log.ts";
import { VERSION } from "./version.ts";

/** One flag. */
export interface OptionSpec {
  type: "string" | "boolean";
  short?: string;
  /** The flag may be given several times (values collected in an array). */
  multiple?: boolean;
  default?: string | boolean | string[];
  description: string;
  /** Placeholder shown in help, e.g. "FILE". */
  valueName?: string;
  /**
   * Set false for flags that must not be read from the environment, or a
   * variable name when the default `SENTINEL_<FLAG>` would mean something
   * else in another binary (`sentinel-sink query --format` is
   * `SENTINEL_QUERY_FORMAT`, not the parser's `SENTINEL_FORMAT`).
   */
  env?: boolean | string;
}

/** A binary or subcommand. */
export interface CommandSpec {
  /** e.g. "sentinel-parser" or "sentinel-detector rules lint". */
  name: string;
  summary: string;
  /** Usage lines, without the leading "Usage:". */
  usage: string[];
  options: Record<string, OptionSpec>;
  examples: string[];
  /** Subcommand name → one-line summary, listed in help. */
  subcommands?: Record<string, string>;
  /** Extra paragraphs shown after the options. */
  notes?: string[];
  /** Replaces the default "Exit codes: …" line (e.g. a linter's findings). */
  exitCodes?: string;
}

/** Parsed values by flag name (kebab-case). */
export type FlagValues = Record<
  string,
  string | boolean | string[] | undefined
>;

/** Bad usage or configuration: the CLI exits 2 with this message. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** Exit immediately with a message on stderr (used for --help/--version and fatal usage). */
export class ExitRequest extends Error {
  constructor(readonly code: number, readonly output?: string) {
    super(`exit ${code}`);
  }
}

const COMMON: Record<string, OptionSpec> = {
  "log-level": {
    type: "string",
    default: "info",
    valueName: "LEVEL",
    description: `Log verbosity on stderr: ${LOG_LEVELS.join(", ")}.`,
  },
  help: {
    type: "boolean",
    short: "h",
    env: false,
    description: "Show this help and exit.",
  },
  version: {
    type: "boolean",
    short: "V",
    env: false,
    description: "Print the version and exit.",
  },
};

/** The environment variable twin of a flag. */
export function envName(flag: string): string {
  return "SENTINEL_" + flag.toUpperCase().replaceAll("-", "_");
}

/** The environment twin of option `name`, or undefined when it has none. */
export function optionEnvName(
  name: string,
  o: OptionSpec,
): string | undefined {
  if (o.env === false) return undefined;
  return typeof o.env === "string" ? o.env : envName(name);
}

/** A comma that continues a `NAME:k=v,k=v` value: one followed by `KEY=`. */
const KEY_CONTINUES = /\s*[A-Za-z_][\w.-]*=/y;

/**
 * The values of a repeatable flag's environment twin. Values are separated
 * by `;` or newlines, or by commas, except that a comma followed by `KEY=`
 * continues the value (the `NAME:k=v,k=v` options of `--inject` carry
 * commas: `SENTINEL_INJECT="port_scan:at=20,source=1.2.3.4;brute_force_ssh"`
 * is two scenarios). `\,` and `\;` are a literal comma and semicolon.
 * Empty values are dropped.
 */
export function splitEnvList(raw: string): string[] {
  const items: string[] = [];
  let cur = "";
  const push = () => {
    const t = cur.trim();
    if (t !== "") items.push(t);
    cur = "";
  };
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (c === "\\" && (raw[i + 1] === "," || raw[i + 1] === ";")) {
      cur += raw[++i];
    } else if (c === ";" || c === "\n" || c === "\r") {
      push();
    } else if (c === ",") {
      KEY_CONTINUES.lastIndex = i + 1;
      if (KEY_CONTINUES.test(raw)) cur += c;
      else push();
    } else {
      cur += c;
    }
  }
  push();
  return items;
}

/** Help paragraph on repeatable flags set from the environment. */
export const ENV_LIST_HELP =
  "Repeatable flags from the environment: separate values with ';' or newlines, or commas; a comma before KEY= continues a NAME:k=v,k=v value; \\, and \\; are a literal comma and semicolon.";

/** {@link ENV_LIST_HELP} with an example of one of the command's such flags. */
function envListHelp(spec: CommandSpec): string | undefined {
  const lists = Object.entries(spec.options).filter(([name, o]) =>
    o.multiple && o.type === "string" && optionEnvName(name, o) !== undefined
  );
  // --inject is the flag whose values carry commas: the telling example.
  const entry = lists.find(([name]) => name === "inject") ?? lists[0];
  if (!entry) return undefined;
  const twin = optionEnvName(...entry)!;
  const example = entry[0] === "inject"
    ? `${twin}="port_scan:at=20,source=1.2.3.4;brute_force_ssh"`
    : `${twin}="${entry[1].valueName ?? "VALUE"}1;${
      entry[1].valueName ?? "VALUE"
    }2"`;
  return `${ENV_LIST_HELP} E.g. ${example}.`;
}

/** Renders the help text of a command. */
export function helpText(spec: CommandSpec): string {
  const opts = { ...spec.options, ...COMMON };
  const rows = Object.entries(opts).map(([name, o]) => {
    const left = `${o.short ? `-${o.short}, ` : "    "}--${name}${
      o.type === "string" ? ` ${o.valueName ?? "VALUE"}` : ""
    }`;
    const def = o.default !== undefined && o.default !== false &&
        !(Array.isArray(o.default) && o.default.length === 0)
      ? ` (default: ${
        Array.isArray(o.default) ? o.default.join(", ") : o.default
      })`
      : "";
    const rep = o.multiple ? " Repeatable." : "";
    const twin = optionEnvName(name, o);
    const env = twin === undefined ? "" : ` [env ${twin}]`;
    return [left, `${o.description}${rep}${def}${env}`] as const;
  });
  const width = Math.min(34, Math.max(...rows.map(([l]) => l.length)) + 2);
  const lines = [`${spec.name} ${VERSION} — ${spec.summary}`, "", "Usage:"];
  for (const u of spec.usage) lines.push(`  ${u}`);
  if (spec.subcommands && Object.keys(spec.subcommands).length) {
    lines.push("", "Commands:");
    const w = Math.max(...Object.keys(spec.subcommands).map((k) => k.length));
    for (const [k, v] of Object.entries(spec.subcommands)) {
      lines.push(`  ${k.padEnd(w)}  ${v}`);
    }
  }
  lines.push("", "Options:");
  for (const [l, r] of rows) {
    lines.push(
      l.length + 2 > width
        ? `  ${l}\n  ${" ".repeat(width)}${r}`
        : `  ${l.padEnd(width)}${r}`,
    );
  }
  for (const n of spec.notes ?? []) lines.push("", n);
  const listHelp = envListHelp(spec);
  if (listHelp) lines.push("", listHelp);
  if (spec.examples.length) {
    lines.push("", "Examples:");
    for (const e of spec.examples) lines.push(`  ${e}`);
  }
  lines.push(
    "",
    spec.exitCodes ??
      "Exit codes: 0 done (dead letters are not failures), 1 runtime failure, 2 bad usage or configuration.",
  );
  return lines.join("\n");
}

/** Result of {@link parseCommand}. */
export interface ParsedCommand {
  values: FlagValues;
  positionals: string[];
  logLevel: LogLevel;
}

/**
 * Parses `args` against `spec`. Throws {@link ExitRequest} for `--help` and
 * `--version` (exit 0) and {@link UsageError} for anything malformed.
 */
export function parseCommand(
  spec: CommandSpec,
  args: string[] = Deno.args,
  env: (name: string) => string | undefined = (n) => Deno.env.get(n),
): ParsedCommand {
  const all = { ...spec.options, ...COMMON };
  const options: Record<
    string,
    { type: "string" | "boolean"; short?: string; multiple?: boolean }
  > = {};
  for (const [name, o] of Object.entries(all)) {
    // parseArgs rejects keys that are present but undefined.
    const opt: {
      type: "string" | "boolean";
      short?: string;
      multiple?: boolean;
    } = { type: o.type };
    if (o.short) opt.short = o.short;
    if (o.multiple) opt.multiple = true;
    options[name] = opt;
  }
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options,
      strict: true,
      allowPositionals: true,
    });
  } catch (e) {
    throw new UsageError(
      `${
        (e as Error).message.replace(/\. To specify.*$/s, "")
      }\nRun '${spec.name} --help' for usage.`,
    );
  }
  const values = { ...parsed.values } as FlagValues;
  if (values.help) throw new ExitRequest(0, helpText(spec));
  if (values.version) {
    throw new ExitRequest(0, `${spec.name.split(" ")[0]} ${VERSION}`);
  }
  for (const [name, o] of Object.entries(all)) {
    if (values[name] !== undefined) continue;
    const twin = optionEnvName(name, o);
    const fromEnv = twin === undefined ? undefined : readEnv(env, twin);
    if (fromEnv !== undefined) {
      if (o.type === "boolean") {
        if (!/^(1|0|true|false|yes|no)$/i.test(fromEnv)) {
          throw new UsageError(
            `${twin}: expected true or false, got '${fromEnv}'`,
          );
        }
        values[name] = /^(1|true|yes)$/i.test(fromEnv);
      } else {
        values[name] = o.multiple ? splitEnvList(fromEnv) : fromEnv;
      }
    } else if (o.default !== undefined) {
      values[name] = o.default;
    }
  }
  const level = values["log-level"] as string;
  if (!LOG_LEVELS.includes(level as LogLevel)) {
    throw new UsageError(
      `--log-level: expected one of ${LOG_LEVELS.join(", ")}, got '${level}'`,
    );
  }
  return {
    values,
    positionals: parsed.positionals,
    logLevel: level as LogLevel,
  };
}

function readEnv(
  env: (name: string) => string | undefined,
  name: string,
): string | undefined {
  try {
    return env(name);
  } catch {
    return undefined; // no --allow-env: flags only
  }
}

/** Reads a string flag; `undefined` when absent. */
export function stringOption(
  values: FlagValues,
  name: string,
): string | undefined {
  const v = values[name];
  if (v === undefined) return undefined;
  if (Array.isArray(v)) return v[v.length - 1];
  return String(v);
}

/** Reads a repeatable string flag as an array. */
export function listOption(values: FlagValues, name: string): string[] {
  const v = values[name];
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [String(v)];
}

/** Reads a numeric flag, with range checks and a readable error. */
export function numberOption(
  values: FlagValues,
  name: string,
  range: { min?: number; max?: number; integer?: boolean } = {},
): number | undefined {
  const raw = stringOption(values, name);
  if (raw === undefined) return undefined;
  const n = Number(raw);
  const kind = range.integer ? "an integer" : "a number";
  if (
    raw.trim() === "" || !Number.isFinite(n) ||
    (range.integer && !Number.isInteger(n))
  ) {
    throw new UsageError(`--${name}: expected ${kind}, got '${raw}'`);
  }
  if (range.min !== undefined && n < range.min) {
    throw new UsageError(`--${name}: must be at least ${range.min}, got ${n}`);
  }
  if (range.max !== undefined && n > range.max) {
    throw new UsageError(`--${name}: must be at most ${range.max}, got ${n}`);
  }
  return n;
}

/** {@link numberOption} for integers. */
export function intOption(
  values: FlagValues,
  name: string,
  range: { min?: number; max?: number } = {},
): number | undefined {
  return numberOption(values, name, { ...range, integer: true });
}

/**
 * Runs a CLI entry point and exits with its code: the function's result, 2
 * for {@link UsageError}, 1 for anything else thrown.
 */
export async function main(fn: () => Promise<number>): Promise<never> {
  let code: number;
  try {
    code = await fn();
  } catch (e) {
    if (e instanceof ExitRequest) {
      if (e.output) console.log(e.output);
      code = e.code;
    } else if (e instanceof UsageError) {
      console.error(`error: ${e.message}`);
      code = 2;
    } else {
      createLogger(binaryName()).error("fatal", {
        error: (e as Error)?.message ?? String(e),
      });
      code = 1;
    }
  }
  Deno.exit(code);
}

/** The running binary's name, e.g. "sentinel-parser" (for logs outside a stage). */
function binaryName(): string {
  const file = Deno.mainModule.split("/").pop() ?? "sentinel";
  return file.replace(/\.(ts|js)$/, "");
}

/**
 * The `--max-line-bytes` flag, the same in every stage that reads NDJSON.
 * @param defaultBytes the stage's default limit
 */
export function maxLineBytesOption(defaultBytes: number): OptionSpec {
  return {
    type: "string",
    default: String(defaultBytes),
    valueName: "BYTES",
    description:
      "Longest accepted input line; longer lines become dead letters.",
  };
}
