/**
 * Regenerates `docs/flags.md` from each binary's own `--help` (and each
 * subcommand's), so the reference is exactly what the binaries print:
 *
 * ```sh
 * deno run -A docs/gen_flags.ts          # rewrite docs/flags.md
 * deno run -A docs/gen_flags.ts --check  # exit 1 when docs/flags.md is stale
 * ```
 */
import { BINARIES } from "../scripts/compile.ts";

const root = new URL("../", import.meta.url);

async function help(binary: string, args: string[]): Promise<string | null> {
  const { code, stdout } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `cli/${binary}.ts`, ...args, "--help"],
    cwd: root,
    stdout: "piped",
    stderr: "null",
    env: { NO_COLOR: "1" },
  }).output();
  return code === 0 ? new TextDecoder().decode(stdout).trimEnd() : null;
}

/** Subcommand names from the "Commands:" block of a help text. */
export function subcommands(helpText: string): string[] {
  const m = /\nCommands:\n((?: {2}\S.*\n?)+)/.exec(helpText);
  if (!m) return [];
  return m[1].split("\n").map((l) => l.trim().split(/\s{2,}/)[0])
    .filter(Boolean);
}

/** Builds the Markdown reference. */
export async function flagsMarkdown(): Promise<string> {
  const parts = [
    "# Flags reference",
    "",
    "Generated from each binary's `--help` by `deno run -A docs/gen_flags.ts`;",
    "do not edit by hand. Conventions (docs/architecture.md): `--in`/`--out`",
    "URIs (`-`, `file:PATH`, `kafka://HOST:PORT/TOPIC?group=NAME`, and for the",
    "sink `chdb:DIR` or `http(s)://USER:PASS@HOST:8123/DATABASE`), every flag has",
    "an environment twin `SENTINEL_<FLAG>` (the flag wins;",
    "`sentinel-sink query --format` is `SENTINEL_QUERY_FORMAT`, as `SENTINEL_FORMAT` is the parser's",
    "hint; each twin is shown as `[env …]`), exit codes 0 done, 1 runtime",
    "failure, 2 bad usage or configuration (a missing input file or an output",
    "file that cannot be created is configuration). The twin of a repeatable",
    "flag holds several values separated by `;` or newlines, or by commas except",
    "a comma before `KEY=`, which continues a `NAME:k=v,k=v` value; `\\,` and",
    '`\\;` are literal: `SENTINEL_INJECT="port_scan:at=20,source=1.2.3.4;brute_force_ssh"`.',
    "Kafka connection settings",
    "(brokers, TLS, SASL) are URI parameters or `SENTINEL_KAFKA_*` variables,",
    "see `stages/shared/io/kafka_config.ts`.",
    "",
  ];
  for (const binary of BINARIES) {
    parts.push(`## ${binary}`, "");
    const top = await help(binary, []);
    if (top === null) {
      parts.push(
        `_\`cli/${binary}.ts\` was not available when this page was generated; rerun the generator._`,
        "",
      );
      continue;
    }
    parts.push("```text", top, "```", "");
    for (const sub of subcommands(top)) {
      const text = await help(binary, sub.split(" "));
      if (text === null) continue;
      parts.push(`### ${binary} ${sub}`, "", "```text", text, "```", "");
    }
  }
  return await formatMarkdown(parts.join("\n"));
}

/** Formats Markdown as `deno fmt` would, so the committed file stays fmt-clean. */
async function formatMarkdown(md: string): Promise<string> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["fmt", "--ext", "md", "-"],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode(md));
  await w.close();
  const { code, stdout } = await child.output();
  if (code !== 0) throw new Error("deno fmt failed on the generated Markdown");
  return new TextDecoder().decode(stdout);
}

if (import.meta.main) {
  const md = await flagsMarkdown();
  const path = new URL("docs/flags.md", root);
  if (Deno.args.includes("--check")) {
    const current = await Deno.readTextFile(path).catch(() => "");
    if (current !== md) {
      console.error(
        "docs/flags.md is stale: run deno run -A docs/gen_flags.ts",
      );
      Deno.exit(1);
    }
  } else {
    await Deno.writeTextFile(path, md);
    console.error("wrote docs/flags.md");
  }
}
