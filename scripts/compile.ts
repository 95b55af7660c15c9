/**
 * Builds the six SentinelStream binaries with `deno compile` into `dist/`
 * (`deno task compile`), with a `SHA256SUMS` file beside them.
 *
 * ```sh
 * deno task compile                                  # all six, host platform
 * deno task compile sentinel-parser sentinel-sink    # some of them
 * deno task compile --target all                     # every release target
 * deno task compile --target aarch64-unknown-linux-gnu --out-dir dist/arm64
 * deno task compile --dry-run                        # print the commands only
 * ```
 *
 * Each binary embeds the default rule pack (`sigma/`), the contracts
 * (`schemas/`) and the ClickHouse DDL (`compose/clickhouse/init.sql`) via
 * `--include`, so it runs from any directory; the parser also embeds the
 * bundled GeoIP table (`--geoip builtin`). Host builds are named
 * `dist/sentinel-<stage>`; builds for an explicit `--target` carry the target
 * in the name (`dist/sentinel-parser-aarch64-apple-darwin`), so one release
 * can hold every platform side by side.
 *
 * `deno compile` downloads the runtime it embeds (denort) for each target.
 * Offline, point `DENORT_BIN` at a local denort of the same version (Deno
 * reads it itself; this script passes the environment through).
 *
 * The embedded chDB store is a native addon (`@chdb/lib-*`, ~550 MB shared
 * library) that `deno compile` cannot ship inside a single file, so compiled
 * binaries write to a ClickHouse server (`--out http://…`) or NDJSON; the
 * embedded store is for `deno task sink` / `deno run`. See docs/deploy.md.
 */
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { VERSION } from "../stages/shared/version.ts";
import { BUILTIN_GEOIP_FILES } from "../stages/parser/geoip.ts";
import { stageV8FlagsArg } from "../stages/shared/v8_flags.ts";

/** The binaries, one per `cli/<name>.ts` entry. */
export const BINARIES = [
  "sentinel-generator",
  "sentinel-ingest",
  "sentinel-parser",
  "sentinel-detector",
  "sentinel-sink",
  "sentinel-demo-seed",
] as const;

/** A binary name. */
export type Binary = typeof BINARIES[number];

/** The release targets, as `deno compile --target` spells them. */
export const TARGETS = [
  "x86_64-unknown-linux-gnu",
  "aarch64-unknown-linux-gnu",
  "x86_64-apple-darwin",
  "aarch64-apple-darwin",
  "x86_64-pc-windows-msvc",
] as const;

/** Files and folders every binary embeds (paths relative to the repo root). */
export const EMBEDDED = [
  "sigma",
  "schemas",
  "compose/clickhouse/init.sql",
] as const;

/**
 * Files only some binaries embed: the parser's bundled GeoIP table
 * (`--geoip builtin`, ~25 MB) would only bloat the other five.
 */
export const EMBEDDED_BY_BINARY: Partial<Record<Binary, readonly string[]>> = {
  "sentinel-parser": BUILTIN_GEOIP_FILES,
};

/** One `deno compile` invocation. */
export interface CompileStep {
  binary: Binary;
  /** Target triple, or undefined for the host. */
  target?: string;
  /** Output path relative to the repo root (with `.exe` on Windows). */
  output: string;
  /** Arguments after the deno executable. */
  args: string[];
}

/** Options of {@link compilePlan}. */
export interface CompileOptions {
  /** Binaries to build. @default all six */
  binaries?: readonly string[];
  /** Targets; empty means the host. `all` expands to {@link TARGETS}. */
  targets?: readonly string[];
  /** Output directory relative to the repo root. @default "dist" */
  outDir?: string;
  /** Run the type checker during compile. @default true */
  check?: boolean;
}

/**
 * Plans the `deno compile` invocations, without running anything. Throws
 * on an unknown binary or target (with the valid names).
 */
export function compilePlan(opts: CompileOptions = {}): CompileStep[] {
  const binaries = opts.binaries?.length ? opts.binaries : BINARIES;
  for (const b of binaries) {
    if (!(BINARIES as readonly string[]).includes(b)) {
      throw new Error(
        `unknown binary "${b}"; expected one of ${BINARIES.join(", ")}`,
      );
    }
  }
  const targets: (string | undefined)[] = [];
  for (const t of opts.targets ?? []) {
    if (t === "all") targets.push(...TARGETS);
    else if ((TARGETS as readonly string[]).includes(t)) targets.push(t);
    else {
      throw new Error(
        `unknown target "${t}"; expected "all" or one of ${TARGETS.join(", ")}`,
      );
    }
  }
  if (targets.length === 0) targets.push(undefined);
  const outDir = (opts.outDir ?? "dist").replace(/\/+$/, "");
  const steps: CompileStep[] = [];
  for (const target of [...new Set(targets)]) {
    const windows = target
      ? target.includes("windows")
      : Deno.build.os === "windows";
    for (const binary of binaries as Binary[]) {
      const output = `${outDir}/${binary}${target ? `-${target}` : ""}${
        windows ? ".exe" : ""
      }`;
      const args = [
        "compile",
        // The stages open sockets, files, the environment and (sink) chDB.
        "--allow-all",
        // The heap settings the stages are measured with.
        stageV8FlagsArg(binary),
        ...(opts.check === false ? ["--no-check"] : []),
        ...[...EMBEDDED, ...(EMBEDDED_BY_BINARY[binary] ?? [])].flatMap((
          p,
        ) => ["--include", p]),
        ...(target ? ["--target", target] : []),
        "--output",
        output,
        `cli/${binary}.ts`,
      ];
      steps.push({ binary, target, output, args });
    }
  }
  return steps;
}

/** SHA-256 of a file as lower-case hex. */
export async function sha256File(path: string): Promise<string> {
  const digest = await crypto.subtle.digest(
    "SHA-256",
    await Deno.readFile(path),
  );
  return Array.from(
    new Uint8Array(digest),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
}

/**
 * Merges checksums into `SHA256SUMS` text (the `sha256sum -c` format:
 * `<hex>  <file name>`), replacing entries for the same file name.
 */
export function mergeChecksums(
  existing: string,
  fresh: Record<string, string>,
): string {
  const entries = new Map<string, string>();
  for (const line of existing.split("\n")) {
    const m = /^([0-9a-f]{64}) [ *](.+)$/.exec(line.trim());
    if (m) entries.set(m[2], m[1]);
  }
  for (const [name, hex] of Object.entries(fresh)) entries.set(name, hex);
  return [...entries.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, hex]) => `${hex}  ${name}\n`)
    .join("");
}

const USAGE = `Usage: deno task compile [options] [BINARY...]

Builds SentinelStream ${VERSION} binaries with deno compile.

Options:
  --target TRIPLE   target to build for (repeatable; "all" for every release
                    target: ${TARGETS.join(", ")}); default: this machine
  --out-dir DIR     output directory (default: dist)
  --deno PATH       deno executable (default: the running one)
  --no-check        skip type checking
  --dry-run         print the deno compile commands, build nothing
  -h, --help        this help

Binaries: ${BINARIES.join(", ")} (default: all)
Offline: set DENORT_BIN to a local denort of the same Deno version.`;

async function mainCompile(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        target: { type: "string", multiple: true },
        "out-dir": { type: "string" },
        deno: { type: "string" },
        "no-check": { type: "boolean" },
        "dry-run": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (e) {
    console.error(`compile: ${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  let steps: CompileStep[];
  try {
    steps = compilePlan({
      binaries: positionals,
      targets: values.target,
      outDir: values["out-dir"],
      check: !values["no-check"],
    });
  } catch (e) {
    console.error(`compile: ${(e as Error).message}`);
    return 2;
  }
  const root = new URL("../", import.meta.url);
  const deno = values.deno ?? Deno.execPath();
  if (values["dry-run"]) {
    for (const s of steps) console.log([deno, ...s.args].join(" "));
    return 0;
  }
  const denort = Deno.env.get("DENORT_BIN");
  if (denort) console.error(`compile: using DENORT_BIN=${denort}`);
  const checksums: Record<string, Record<string, string>> = {};
  for (const s of steps) {
    console.error(`compile: ${s.output}`);
    const { code } = await new Deno.Command(deno, {
      args: s.args,
      cwd: root,
      stdout: "inherit",
      stderr: "inherit",
    }).output();
    if (code !== 0) {
      console.error(
        `compile: deno compile failed for ${s.output} (exit ${code})`,
      );
      return 1;
    }
    const path = new URL(s.output, root);
    const dir = s.output.slice(0, s.output.lastIndexOf("/"));
    const name = s.output.slice(s.output.lastIndexOf("/") + 1);
    (checksums[dir] ??= {})[name] = await sha256File(fileURLToPath(path));
  }
  for (const [dir, fresh] of Object.entries(checksums)) {
    const sums = new URL(`${dir}/SHA256SUMS`, root);
    const existing = await Deno.readTextFile(sums).catch(() => "");
    await Deno.writeTextFile(sums, mergeChecksums(existing, fresh));
    console.error(`compile: wrote ${dir}/SHA256SUMS`);
  }
  return 0;
}

if (import.meta.main) Deno.exit(await mainCompile(Deno.args));
