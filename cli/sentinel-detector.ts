/**
 * sentinel-detector: runs Sigma rules, correlations and the anomaly model
 * over enriched events; forwards the events and adds alerts.
 * Subcommands: `rules lint PATH…`, `rules test PATH…`, `train …`.
 */
import {
  anomalyDetectorFromFlags,
  anomalyOptions,
  trainMain,
} from "../stages/detector/anomaly/cli.ts";
import type { Detector } from "../stages/detector/detector.ts";
import {
  createSigmaDetector,
  formatSpan,
  loadRuleSet,
  parseTimespan,
  type RuleError,
  type RuleSet,
  runSamples,
  SIGMA_DEFAULTS,
} from "../stages/detector/sigma/mod.ts";
import { DetectorTransform } from "../stages/detector/transform.ts";
import { correlationsSplitByPartitioning } from "../stages/detector/sigma/partitioning.ts";
import { unknownFieldWarnings } from "../stages/detector/sigma/lint.ts";
import {
  type CommandSpec,
  type FlagValues,
  intOption,
  listOption,
  main,
  maxLineBytesOption,
  parseCommand,
  stringOption,
  UsageError,
} from "../stages/shared/cli.ts";
import { ENRICHED_MAX_LINE_BYTES } from "../stages/shared/ndjson.ts";
import { createLogger, type Logger } from "../stages/shared/log.ts";
import { runTransform } from "../stages/shared/runner.ts";
import { parse as parseYaml } from "yaml";

const spec: CommandSpec = {
  name: "sentinel-detector",
  summary:
    "Detects attacks in enriched events with Sigma rules, correlation rules and an anomaly model.",
  usage: [
    "sentinel-detector [--rules PATH]… [--in URI] [--out URI] [options]",
    "sentinel-detector rules lint PATH…",
    "sentinel-detector rules test PATH…",
    "sentinel-detector train --in FILE --model FILE",
  ],
  subcommands: {
    "rules lint":
      "Compile rules and report, per rejected rule, file, id and reason; exit 1 when any is rejected.",
    "rules test":
      "Run the sample events kept beside the rules (samples documents).",
    train: "Train the anomaly model from enriched events.",
  },
  options: {
    rules: {
      type: "string",
      multiple: true,
      default: ["./sigma"],
      valueName: "PATH",
      description:
        "Sigma rules: a file or a folder searched recursively. Folders may also hold mapping configs and samples.",
    },
    mapping: {
      type: "string",
      multiple: true,
      valueName: "FILE",
      description:
        "Extra mapping config (YAML: logsources, fieldmappings, placeholders) merged over the built-in defaults.",
    },
    in: {
      type: "string",
      default: "-",
      valueName: "URI",
      description:
        "Where enriched events come from: -, file:PATH, kafka://HOST:PORT/TOPIC?group=NAME (default group detector.TOPIC; copies with one group share the partitions).",
    },
    out: {
      type: "string",
      default: "-",
      valueName: "URI",
      description:
        "Where events and alerts go: -, file:PATH, kafka://HOST:PORT[/PREFIX]: alerts and dead letters to their own topics, alerts and events.deadletter (events stay on events.enriched); a path naming one (/prod.alerts) or a bare prefix (/prod) puts that prefix before them.",
    },
    "max-line-bytes": maxLineBytesOption(ENRICHED_MAX_LINE_BYTES),
    "hold-back-records": {
      type: "string",
      default: "500000",
      valueName: "N",
      description:
        "Kafka input: offsets of events an open correlation window or silence still depends on stay uncommitted, so a restart (crash or SIGTERM) reads them again and still raises the alert; at most N records are held (beyond, the oldest are committed, logged once). 0: commit once written (a restart then loses open windows).",
    },
    lateness: {
      type: "string",
      default: formatSpan(SIGMA_DEFAULTS.latenessMs),
      valueName: "SPAN",
      description:
        "How late (event time, behind the newest event) a hit may arrive and still count in correlations.",
    },
    "state-memory-mb": {
      type: "string",
      default: String(SIGMA_DEFAULTS.stateMemoryMb),
      valueName: "MB",
      description:
        "Cap on correlation state; least-recently-touched groups are evicted beyond it.",
    },
    "suppress-window": {
      type: "string",
      default: formatSpan(SIGMA_DEFAULTS.singleSuppressMs),
      valueName: "SPAN",
      description:
        "Single-event rules raise one alert per rule, entity and host for an incident: later matches stay silent until none has come for this event-time span (0s: every match).",
    },
    "correlation-suppress": {
      type: "string",
      default: formatSpan(SIGMA_DEFAULTS.correlationSuppressMs),
      valueName: "SPAN",
      description:
        "Correlations raise one alert per rule and group for an incident: later windows meeting the condition stay silent until none has for this event-time span (0s: every such window).",
    },
    "realert-interval": {
      type: "string",
      default: formatSpan(SIGMA_DEFAULTS.realertMs),
      valueName: "SPAN",
      description:
        "An incident still going on this long (event time) after its alert is raised again, with its updated count (0s: only after it has been quiet).",
    },
    strict: {
      type: "boolean",
      description:
        "Refuse to start (exit 2, a configuration error) when any rule is rejected (default: log and run the rest).",
    },
    ...anomalyOptions,
  },
  examples: [
    "sentinel-generator --dry-run --rate 50 --duration 5 --inject brute_force_ssh | sentinel-parser | sentinel-detector --rules ./sigma | sentinel-sink",
    "sentinel-detector --rules ./sigma --rules ../shared/sigmahq/rules --in file:events.ndjson --out file:alerts.ndjson",
    "sentinel-detector rules lint ./sigma",
    "sentinel-detector rules test ./sigma",
    "kill -HUP $(pidof sentinel-detector)   # reload rules; a bad reload keeps the running rules",
  ],
  notes: [
    "Correlation windows use event time (ts). Rules are reloaded on SIGHUP.",
  ],
};

const lintSpec: CommandSpec = {
  name: "sentinel-detector rules lint",
  summary:
    "Compiles every rule under PATH and reports those the engine rejects.",
  usage: [
    "sentinel-detector rules lint PATH… [--mapping FILE]… [--json] [--strict]",
  ],
  options: {
    mapping: spec.options.mapping,
    json: {
      type: "boolean",
      description:
        "One JSON object per rejected rule on stdout (and nothing else there); the summary goes to stderr.",
    },
    strict: {
      type: "boolean",
      env: false,
      description:
        "Accepted for symmetry with the run mode; lint is always strict: any rejected rule exits 1.",
    },
  },
  examples: [
    "sentinel-detector rules lint ./sigma",
    "sentinel-detector rules lint ../shared/sigmahq",
  ],
  // A rejected rule is the linter's finding, as a failed sample is for
  // `rules test`: 1. Only a lint that could not run is a usage error.
  exitCodes:
    "Exit codes: 0 every rule compiled, 1 rules rejected (the findings, listed above the summary), 2 bad usage or configuration (no PATH, PATH not found, unreadable --mapping, unknown flag).",
};

/** `sentinel-detector rules --help`: the two rule subcommands. */
const rulesSpec: CommandSpec = {
  name: "sentinel-detector rules",
  summary: "Checks Sigma rules without running the detector.",
  usage: [
    ...lintSpec.usage,
    "sentinel-detector rules test PATH… [--mapping FILE]…",
  ],
  subcommands: {
    lint: spec.subcommands!["rules lint"],
    test: spec.subcommands!["rules test"],
  },
  options: {},
  examples: [
    "sentinel-detector rules lint ./sigma",
    "sentinel-detector rules lint --help",
    "sentinel-detector rules test ./sigma",
  ],
  exitCodes:
    "Exit codes: per command (see 'sentinel-detector rules lint --help', 'rules test --help'); 2 bad usage.",
};

const testSpec: CommandSpec = {
  name: "sentinel-detector rules test",
  summary: "Runs the sample events under PATH against the rules under PATH.",
  usage: ["sentinel-detector rules test PATH… [--mapping FILE]…"],
  options: { mapping: spec.options.mapping },
  examples: ["sentinel-detector rules test ./sigma"],
  exitCodes:
    "Exit codes: 0 every sample passed, 1 samples failed or rules rejected, 2 bad usage or configuration (no PATH, PATH not found, unreadable --mapping, unknown flag).",
};

/**
 * `./sigma` from the working directory, else the pack shipped beside this
 * file. `source` names where the paths came from in a not-found error: the
 * `--rules` flag in the run mode, nothing for `rules lint|test PATH…`.
 */
async function resolveRulePaths(
  paths: string[],
  source: "--rules" | "PATH",
): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) {
    try {
      await Deno.stat(p);
      out.push(p);
    } catch {
      if (p === "./sigma" || p === "sigma") {
        const bundled = new URL("../sigma", import.meta.url);
        if (bundled.protocol === "file:") {
          try {
            await Deno.stat(bundled);
            out.push(bundled.pathname);
            continue;
          } catch { /* fall through */ }
        }
      }
      throw new UsageError(
        source === "--rules" ? `--rules ${p}: not found` : `${p}: not found`,
      );
    }
  }
  return out;
}

async function readMappings(
  files: string[],
): Promise<Record<string, unknown>[]> {
  const docs: Record<string, unknown>[] = [];
  for (const f of files) {
    let text: string;
    try {
      text = await Deno.readTextFile(f);
    } catch (e) {
      throw new UsageError(`--mapping ${f}: ${(e as Error).message}`);
    }
    const d = parseYaml(text);
    if (!d || typeof d !== "object" || Array.isArray(d)) {
      throw new UsageError(`--mapping ${f}: expected a YAML map`);
    }
    docs.push(d as Record<string, unknown>);
  }
  return docs;
}

async function loadRules(
  paths: string[],
  mappings: string[],
  source: "--rules" | "PATH",
): Promise<RuleSet> {
  return await loadRuleSet(await resolveRulePaths(paths, source), {
    mappingDocs: await readMappings(mappings),
  });
}

function errorText(e: RuleError): string {
  return `${e.file}${e.ruleId ? ` [${e.ruleId}]` : ""}${
    e.title ? ` "${e.title}"` : ""
  }: ${e.reason}`;
}

async function lintMain(args: string[]): Promise<number> {
  const { values, positionals } = parseCommand(lintSpec, args);
  if (positionals.length === 0) throw new UsageError("rules lint needs a PATH");
  const set = await loadRules(
    positionals,
    listOption(values, "mapping"),
    "PATH",
  );
  for (const e of set.errors) {
    console.log(values.json ? JSON.stringify(e) : `REJECTED ${errorText(e)}`);
  }
  // Compiled but reading fields nothing fills: a warning, not a rejection
  // (stderr with --json, whose stdout holds only rejections).
  const warnings = await unknownFieldWarnings(set);
  for (const w of warnings) {
    (values.json ? console.error : console.log)(`WARNING ${errorText(w)}`);
  }
  const total = set.rules.length + set.correlations.length + set.filters +
    set.errors.length;
  // With --json, stdout holds only the findings (one JSON object a line),
  // so `| jq` or a line-by-line JSON.parse works; the summary is for people.
  (values.json ? console.error : console.log)(
    `${set.rules.length} rules, ${set.correlations.length} correlations, ${set.filters} filters compiled; ${set.errors.length} rejected (${
      total
        ? ((100 * (total - set.errors.length)) / total).toFixed(2)
        : "100.00"
    }% ok)${
      warnings.length
        ? `; ${warnings.length} rules read fields nothing fills (WARNING above)`
        : ""
    }`,
  );
  return set.errors.length ? 1 : 0;
}

async function testMain(args: string[]): Promise<number> {
  const { values, positionals } = parseCommand(testSpec, args);
  if (positionals.length === 0) throw new UsageError("rules test needs a PATH");
  const set = await loadRules(
    positionals,
    listOption(values, "mapping"),
    "PATH",
  );
  for (const e of set.errors) console.log(`REJECTED ${errorText(e)}`);
  const report = runSamples(set);
  for (const r of report.results) {
    if (!r.ok) console.log(`FAIL ${r.file} [${r.rule}] ${r.reason}`);
  }
  for (const id of report.rulesWithoutSamples) {
    console.log(`NO SAMPLES ${id}`);
  }
  console.log(
    `${report.passed} samples passed, ${report.failed} failed; ${report.rulesWithoutSamples.length} rules without samples; ${set.errors.length} rules rejected`,
  );
  return report.failed || set.errors.length ? 1 : 0;
}

function spanOption(values: FlagValues, name: string): number {
  const raw = stringOption(values, name) ?? "0s";
  if (/^0+[smhd]?$/.test(raw)) return 0;
  try {
    return parseTimespan(raw);
  } catch {
    throw new UsageError(
      `--${name}: expected a span like 30s, 5m, 1h; got '${raw}'`,
    );
  }
}

function logRejections(logger: Logger, set: RuleSet): void {
  for (const e of set.errors.slice(0, 50)) {
    logger.warn("rule rejected", {
      file: e.file,
      rule_id: e.ruleId,
      reason: e.reason,
    });
  }
  if (set.errors.length > 50) {
    logger.warn("more rules rejected", { count: set.errors.length - 50 });
  }
}

async function runMain(args: string[]): Promise<number> {
  const { values, positionals, logLevel } = parseCommand(spec, args);
  if (positionals.length) {
    throw new UsageError(`unexpected argument '${positionals[0]}'`);
  }
  const logger = createLogger("detector", logLevel);
  const rulePaths = listOption(values, "rules");
  const mappings = listOption(values, "mapping");
  let set: RuleSet;
  try {
    set = await loadRules(rulePaths, mappings, "--rules");
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`--rules: ${(e as Error).message}`);
  }
  logRejections(logger, set);
  if (stringOption(values, "in")?.startsWith("kafka://")) {
    // Kafka keys enriched events by source.ip: with several detector
    // instances in the group, these correlations see each group split.
    for (const c of correlationsSplitByPartitioning(set)) {
      logger.warn(
        "correlation not grouped by source.ip (the Kafka partition key): " +
          "it is only complete with one detector instance on the topic",
        { rule: c.id, title: c.title, group_by: c.groupBy },
      );
    }
  }
  if (values.strict && set.errors.length) {
    throw new UsageError(`${set.errors.length} rules rejected (--strict)`);
  }
  if (set.rules.length === 0) {
    throw new UsageError(`no usable rules under ${rulePaths.join(", ")}`);
  }
  logger.info("rules loaded", {
    rules: set.rules.length,
    correlations: set.correlations.length,
    filters: set.filters,
    rejected: set.errors.length,
  });
  const memMb = intOption(values, "state-memory-mb", { min: 1, max: 1 << 20 });
  const sigma = createSigmaDetector(set, {
    latenessMs: spanOption(values, "lateness"),
    memoryCapBytes: memMb === undefined ? undefined : memMb * 1024 * 1024,
    singleSuppressMs: spanOption(values, "suppress-window"),
    suppressMs: spanOption(values, "correlation-suppress"),
    realertMs: spanOption(values, "realert-interval"),
    // Rate-limited by the detector: at most once a minute per rule.
    onRuleError: (rule, error, count) =>
      logger.warn("rule failed on an event; skipped for it", {
        rule,
        error: String(error),
        count,
      }),
  });
  const detectors: Detector[] = [sigma];
  const anomaly = await anomalyDetectorFromFlags(values, logger);
  if (anomaly) detectors.push(anomaly);

  // SIGHUP: reload; keep the running rules when the new set is worse.
  let reloading = false;
  const onHup = async () => {
    if (reloading) return;
    reloading = true;
    try {
      const next = await loadRules(rulePaths, mappings, "--rules");
      const known = new Set(
        sigma.ruleSet.errors.map((e) => `${e.file}\n${e.reason}`),
      );
      const fresh = next.errors.filter((e) =>
        !known.has(`${e.file}\n${e.reason}`)
      );
      if (next.rules.length === 0) throw new Error("no usable rules");
      if (fresh.length) {
        throw new Error(
          `${fresh.length} rules rejected: ${
            fresh.slice(0, 5).map(errorText).join("; ")
          }`,
        );
      }
      sigma.replaceRules(next);
      logger.info("rules reloaded", {
        rules: next.rules.length,
        correlations: next.correlations.length,
        rejected: next.errors.length,
      });
    } catch (e) {
      logger.error("rule reload failed; keeping the running rules", {
        error: (e as Error).message,
      });
    } finally {
      reloading = false;
    }
  };
  const hup = () => void onHup();
  try {
    Deno.addSignalListener("SIGHUP", hup);
  } catch { /* platform without SIGHUP */ }
  try {
    await runTransform({
      stage: "detector",
      transform: new DetectorTransform(detectors),
      logger,
      in: stringOption(values, "in"),
      out: stringOption(values, "out"),
      maxLineBytes: intOption(values, "max-line-bytes", { min: 64 }),
      maxHeldRecords: intOption(values, "hold-back-records", { min: 0 }),
    });
  } finally {
    try {
      Deno.removeSignalListener("SIGHUP", hup);
    } catch { /* ignore */ }
  }
  return 0;
}

if (import.meta.main) {
  main(async () => {
    const args = Deno.args;
    if (args[0] === "train") return await trainMain(args.slice(1));
    if (args[0] === "rules") {
      if (args[1] === "lint") return await lintMain(args.slice(2));
      if (args[1] === "test") return await testMain(args.slice(2));
      // `rules --help` (or a bare `rules`) lists the two subcommands.
      const { positionals } = parseCommand(rulesSpec, args.slice(1));
      throw new UsageError(
        `${
          positionals.length
            ? `unknown command 'rules ${positionals[0]}'`
            : "rules needs a command"
        }: 'lint' or 'test'\nRun 'sentinel-detector rules --help' for usage.`,
      );
    }
    return await runMain(args);
  });
}
