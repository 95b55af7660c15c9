/**
 * sentinel-generator: realistic security traffic for several tenants, with
 * labelled attack scenarios, paced output to stdout, a file, Kafka or
 * ingest over HTTP, and replay of recorded logs.
 */
import {
  type CommandSpec,
  envName,
  type FlagValues,
  intOption,
  listOption,
  main,
  numberOption,
  parseCommand,
  stringOption,
  UsageError,
} from "../stages/shared/cli.ts";
import { createLogger, type Logger } from "../stages/shared/log.ts";
import { openSink, openSource } from "../stages/shared/io/mod.ts";
import type { RecordSink } from "../stages/shared/io/types.ts";
import { parseTokenList } from "../stages/shared/token_list.ts";
import {
  DEFAULT_TENANTS,
  describeScenarios,
  HttpTargetSink,
  InjectError,
  type InjectSpec,
  parseInject,
  runReplay,
  type RunReport,
  runSynthetic,
  UNPACED_VIRTUAL_RATE,
} from "../stages/generator/mod.ts";

/** --rate of a synthetic run when none is given. */
const DEFAULT_RATE = 100;

/**
 * Flags whose environment twins configure synthetic runs only. compose
 * exports SENTINEL_RATE and SENTINEL_DURATION for its synthetic traffic; a
 * `--replay` on the command line must not be paced or cut short by them
 * (nor refused with `--speed`), so under `--replay` only these flags given
 * on the command line count.
 */
const SYNTHETIC_ONLY_ENV = ["rate", "duration", "count", "inject", "start"];
/** Flags whose environment twins configure replays only. */
const REPLAY_ONLY_ENV = ["speed"];

const spec: CommandSpec = {
  name: "sentinel-generator",
  summary:
    "Synthetic security traffic (auth, network, DNS, process, web) for several tenants, with labelled attack scenarios.",
  usage: [
    "sentinel-generator [--dry-run | --out URI | --target URL] [--rate N] [--duration S | --count N] [--inject NAME[:key=value,...]]...",
    "sentinel-generator --replay FILE [--speed FACTOR | --rate N] [--count N] [--duration S] [--out URI | --target URL]",
  ],
  options: {
    "dry-run": {
      type: "boolean",
      description: "Write NDJSON RawEvents to stdout (same as --out -).",
    },
    out: {
      type: "string",
      valueName: "URI",
      description:
        "Where RawEvents go: - (stdout), file:PATH, kafka://HOST:PORT[/TOPIC] (topic events.raw; /prod.events.raw is used as is, a name without that suffix is a prefix: /prod writes prod.events.raw). Default: -.",
    },
    target: {
      type: "string",
      valueName: "URL",
      description:
        "POST batches of NDJSON to sentinel-ingest (base URL or …/events/batch) instead of --out.",
    },
    concurrency: {
      type: "string",
      default: "4",
      valueName: "N",
      description: "Requests in flight with --target.",
    },
    "batch-size": {
      type: "string",
      default: "500",
      valueName: "N",
      description: "Events per request with --target.",
    },
    retries: {
      type: "string",
      default: "5",
      valueName: "N",
      description:
        "Retries of a failed request (network error, 429, 5xx) with exponential back-off.",
    },
    ca: {
      type: "string",
      valueName: "FILE",
      description:
        "With an https:// --target: trust this CA certificate (PEM), e.g. the one that issued ingest's --tls-cert, besides the system's.",
    },
    token: {
      type: "string",
      valueName: "SECRET",
      description:
        "Bearer token for ingest, sent for every tenant (prefer the env twin). Ingest ties a token to one tenant: for several tenants use --tenant-tokens.",
    },
    "tenant-tokens": {
      type: "string",
      valueName: "LIST",
      description:
        "Bearer token per tenant, tenant:secret[,tenant:secret…] (the form of ingest's --auth-tokens; prefer the env twin). Every generated tenant needs one unless --token covers the rest.",
    },
    seed: {
      type: "string",
      valueName: "TEXT",
      description:
        "Seed of all randomness: the same seed and --start give byte-identical output. Default: random (logged).",
    },
    start: {
      type: "string",
      valueName: "TIME",
      description:
        "Virtual time of the first event: RFC 3339 (2026-11-24T10:00:00Z), epoch seconds or epoch milliseconds. Default: now.",
    },
    rate: {
      type: "string",
      valueName: "N",
      description:
        `Events per second (also the virtual clock's pace); 0 = as fast as possible (virtual clock at ${UNPACED_VIRTUAL_RATE}/s). Default: ${DEFAULT_RATE}. With --replay: lines per second instead of the original timing (not with --speed); default: as fast as possible.`,
    },
    duration: {
      type: "string",
      valueName: "SECONDS",
      description:
        "Run length; with --rate N > 0 this is exactly N × SECONDS events (with --replay: at most that many lines), otherwise a wall-clock limit.",
    },
    count: {
      type: "string",
      valueName: "N",
      description:
        "Exact number of events (wins over --duration). With --replay: at most the first N lines of FILE.",
    },
    burst: {
      type: "string",
      valueName: "N",
      description:
        "Most events sent ahead of the steady rate after a stall (token-bucket size). Default: one second of --rate.",
    },
    tenant: {
      type: "string",
      multiple: true,
      valueName: "NAME",
      description: `Tenant to generate for. Default: ${
        DEFAULT_TENANTS.join(", ")
      }.`,
    },
    inject: {
      type: "string",
      multiple: true,
      valueName: "NAME[:k=v,...]",
      description:
        "Inject an attack scenario (see the list below). Keys: at=SECONDS, span=SECONDS, source=IP, user=NAME, count=N, tenant=NAME, and per-scenario keys.",
    },
    "list-scenarios": {
      type: "boolean",
      env: false,
      description: "List the scenarios and their keys, then exit.",
    },
    node: {
      type: "string",
      default: "sentinel-generator",
      valueName: "NAME",
      description: "ingest_node written into every RawEvent.",
    },
    replay: {
      type: "string",
      valueName: "FILE",
      description:
        "Replay a file of NDJSON RawEvents, JSON log objects or raw log lines instead of generating. Limited by --count and --duration, paced by --speed or --rate.",
    },
    speed: {
      type: "string",
      valueName: "FACTOR",
      description:
        "With --replay: keep the original timing, sped up by FACTOR (1 = real time). Default: as fast as possible.",
    },
    "source-name": {
      type: "string",
      default: "replay",
      valueName: "NAME",
      description:
        "With --replay: source_name of wrapped lines without a host.",
    },
    progress: {
      type: "boolean",
      description:
        "Show a progress line on stderr even when it is not a terminal.",
    },
  },
  notes: [
    "Scenarios:\n" + describeScenarios(),
    "Environment: under --replay only --rate, --duration, --count, --inject and --start given as flags count; their twins (SENTINEL_RATE, SENTINEL_DURATION, …) configure synthetic runs and are ignored with an info line, as SENTINEL_SPEED is without --replay. An output flag beats the other output's twin: --out or --dry-run overrides SENTINEL_TARGET, --target overrides SENTINEL_OUT and SENTINEL_DRY_RUN.",
  ],
  examples: [
    "sentinel-generator --dry-run --rate 50 --duration 5 --inject brute_force_ssh | sentinel-parser | sentinel-detector --rules ./sigma | sentinel-sink",
    "sentinel-generator --dry-run --seed 7 --start 2026-11-24T10:00:00Z --count 1000 --rate 0 > day.ndjson",
    "sentinel-generator --rate 100000 --duration 10 --out kafka://localhost:9092/events.raw",
    "sentinel-generator --target http://localhost:8080 --rate 5000 --duration 20 --concurrency 8 --inject port_scan:at=10,source=45.155.205.9",
    "sentinel-generator --inject password_spray:via=ssh,count=20 --inject impossible_travel:user=alice --count 5000 --rate 0 --dry-run",
    "sentinel-generator --replay ../shared/datasets/logs/Linux_2k.log --speed 1000000 --dry-run   # the log's 43 days in about 4 s",
    "sentinel-generator --replay /var/log/big-auth.log --count 10000 --rate 500 --target http://localhost:8080",
  ],
};

/**
 * `--tenant-tokens` as a map; every generated tenant must have a token
 * unless `--token` covers the others (else ingest answers 403 for them).
 */
function tenantTokens(
  spec: string | undefined,
  tenants: readonly string[],
  fallback: boolean,
): Map<string, string> | undefined {
  if (spec === undefined || spec.trim() === "") return undefined;
  let list;
  try {
    list = parseTokenList(spec);
  } catch (e) {
    throw new UsageError(`--tenant-tokens: ${(e as Error).message}`);
  }
  const map = new Map(list.map((c) => [c.tenant, c.secret]));
  const missing = tenants.filter((t) => !map.has(t));
  if (missing.length > 0 && !fallback) {
    throw new UsageError(
      `--tenant-tokens: no token for tenant(s) ${
        missing.join(", ")
      }; add them or give --token for the rest`,
    );
  }
  return map;
}

function parseStart(raw: string | undefined): number {
  if (raw === undefined) return Date.now();
  // Bare numbers are epoch milliseconds, or seconds when too small to be
  // a millisecond time after 1973.
  if (/^\d+$/.test(raw)) {
    const n = Number(raw);
    return n < 1e11 ? n * 1000 : n;
  }
  const t = Date.parse(raw);
  if (!Number.isFinite(t)) {
    throw new UsageError(
      `--start: expected an RFC 3339 time or epoch seconds/milliseconds, got '${raw}'`,
    );
  }
  return t;
}

/**
 * Drops the values of `flags` that came from their environment twins (see
 * {@link SYNTHETIC_ONLY_ENV}), with one info line naming the variables.
 */
function ignoreEnvTwins(
  values: FlagValues,
  flags: readonly string[],
  fromEnv: ReadonlySet<string>,
  why: string,
  logger: Logger,
): void {
  const ignored = flags.filter((f) => fromEnv.has(envName(f)));
  if (!ignored.length) return;
  for (const f of ignored) delete values[f];
  logger.info(`${ignored.map(envName).join(", ")} ignored: ${why}`);
}

/**
 * `--target` and `--out`/`--dry-run` exclude each other, but a flag on the
 * command line beats the other output's environment twin: compose exports
 * SENTINEL_TARGET so `docker compose run generator --replay F` reaches
 * ingest, and `… run generator --dry-run` must still write to stdout.
 */
function resolveOutput(
  values: FlagValues,
  fromEnv: ReadonlySet<string>,
  logger: Logger,
): void {
  const local = ["out", "dry-run"].filter((f) =>
    values[f] !== undefined && values[f] !== false
  );
  if (values.target === undefined || !local.length) return;
  const targetFromEnv = fromEnv.has(envName("target"));
  const localFromEnv = local.every((f) => fromEnv.has(envName(f)));
  if (targetFromEnv && !localFromEnv) {
    ignoreEnvTwins(
      values,
      ["target"],
      fromEnv,
      `--${local[0]} on the command line chooses the output`,
      logger,
    );
  } else if (localFromEnv && !targetFromEnv) {
    ignoreEnvTwins(
      values,
      local,
      fromEnv,
      "--target on the command line chooses the output",
      logger,
    );
  }
}

main(async () => {
  // The environment twins actually read (only when their flag is absent),
  // so a flag can beat a conflicting twin of another flag.
  const fromEnv = new Set<string>();
  const { values, logLevel } = parseCommand(spec, Deno.args, (name) => {
    const v = Deno.env.get(name);
    if (v !== undefined) fromEnv.add(name);
    return v;
  });
  if (values["list-scenarios"]) {
    console.log(describeScenarios());
    return 0;
  }
  const logger = createLogger("generator", logLevel);
  resolveOutput(values, fromEnv, logger);
  if (stringOption(values, "replay") !== undefined) {
    ignoreEnvTwins(
      values,
      SYNTHETIC_ONLY_ENV,
      fromEnv,
      "they configure synthetic runs; give --rate, --duration or --count on the command line to pace or limit a --replay",
      logger,
    );
  } else {
    ignoreEnvTwins(
      values,
      REPLAY_ONLY_ENV,
      fromEnv,
      "it applies to --replay only",
      logger,
    );
  }
  const target = stringOption(values, "target");
  const outFlag = stringOption(values, "out");
  if (target && (outFlag || values["dry-run"])) {
    throw new UsageError("--target cannot be combined with --out or --dry-run");
  }
  if (values["dry-run"] && outFlag && outFlag !== "-") {
    throw new UsageError("--dry-run writes to stdout; drop --out or --dry-run");
  }
  const tenants = listOption(values, "tenant");
  const tenantNames = tenants.length ? tenants : DEFAULT_TENANTS;
  for (const t of tenantNames) {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(t)) {
      throw new UsageError(`--tenant: invalid tenant name '${t}'`);
    }
  }
  const injects: InjectSpec[] = [];
  for (const text of listOption(values, "inject")) {
    try {
      injects.push(parseInject(text, tenantNames));
    } catch (e) {
      if (e instanceof InjectError) throw new UsageError(e.message);
      throw e;
    }
  }
  const rateFlag = numberOption(values, "rate", { min: 0, max: 10_000_000 });
  const rate = rateFlag ?? DEFAULT_RATE;
  const duration = numberOption(values, "duration", { min: 0 });
  const count = intOption(values, "count", { min: 0 });
  const burst = intOption(values, "burst", { min: 1 });
  const concurrency = intOption(values, "concurrency", { min: 1, max: 256 })!;
  const batchSize = intOption(values, "batch-size", { min: 1, max: 10_000 })!;
  const retries = intOption(values, "retries", { min: 0, max: 100 })!;
  const replayFile = stringOption(values, "replay");
  const speed = numberOption(values, "speed", { min: 0.000001 });
  if (speed !== undefined && !replayFile) {
    throw new UsageError("--speed only applies to --replay");
  }
  if (replayFile && injects.length) {
    throw new UsageError("--inject cannot be combined with --replay");
  }
  if (replayFile && speed !== undefined && rateFlag !== undefined) {
    throw new UsageError(
      "--speed (original timing) and --rate (lines per second) exclude each other with --replay; give one",
    );
  }
  if (replayFile && stringOption(values, "start") !== undefined) {
    throw new UsageError(
      "--start does not apply to --replay: replayed records keep their own times",
    );
  }
  const seed = stringOption(values, "seed") ??
    String(Math.floor(Math.random() * 2 ** 32));
  const startMs = parseStart(stringOption(values, "start"));
  const node = stringOption(values, "node")!;

  // Checked before any output is opened: a missing file is a usage error
  // (exit 2) that must not truncate an existing --out file on its way.
  const source = replayFile
    ? await openSource(`file:${replayFile}`, {
      stage: "generator",
      logger,
      flag: "--replay",
      label: replayFile,
    })
    : undefined;

  let sink: RecordSink;
  let http: HttpTargetSink | undefined;
  if (target) {
    let url: URL;
    try {
      url = new URL(target);
    } catch {
      throw new UsageError(`--target: not a URL: '${target}'`);
    }
    // Checked here: fetch would refuse another scheme only at the first
    // batch, after the retries, as a runtime failure.
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new UsageError(
        `--target: unsupported scheme '${url.protocol}' in '${target}'; expected an http:// or https:// URL of sentinel-ingest`,
      );
    }
    const caFile = stringOption(values, "ca");
    let caFetch: typeof fetch | undefined;
    if (caFile !== undefined) {
      if (url.protocol !== "https:") {
        throw new UsageError("--ca applies to an https:// --target only");
      }
      let pem: string;
      try {
        pem = await Deno.readTextFile(caFile);
      } catch (e) {
        throw new UsageError(
          `cannot read --ca ${caFile}: ${(e as Error).message}`,
        );
      }
      let client: Deno.HttpClient;
      try {
        client = Deno.createHttpClient({ caCerts: [pem] });
      } catch (e) {
        throw new UsageError(`--ca ${caFile}: ${(e as Error).message}`);
      }
      caFetch = (input, init) => fetch(input, { ...init, client });
    }
    http = new HttpTargetSink({
      url: target,
      fetch: caFetch,
      concurrency,
      batchSize,
      retries,
      token: stringOption(values, "token"),
      tenantTokens: tenantTokens(
        stringOption(values, "tenant-tokens"),
        // A replay's records carry their own tenants, unknown until read:
        // the sink refuses those without a token as they come.
        replayFile ? [] : tenantNames,
        stringOption(values, "token") !== undefined,
      ),
      logger,
    });
    sink = http;
  } else {
    for (const flag of ["token", "tenant-tokens", "ca"]) {
      // A warning, not an error: the env twin may be exported for a shell.
      if (stringOption(values, flag) !== undefined) {
        logger.warn(`--${flag} is ignored without --target`);
      }
    }
    sink = await openSink(outFlag ?? "-", { stage: "generator", logger })
      .catch(async (e) => {
        await source?.close().catch(() => {});
        throw e;
      });
  }

  const abort = new AbortController();
  const stop = () => abort.abort();
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    try {
      Deno.addSignalListener(sig, stop);
    } catch {
      // signals unsupported on this platform
    }
  }
  const interactive = values.progress === true || Deno.stderr.isTerminal();
  const enc = new TextEncoder();
  const onProgress = interactive
    ? (sent: number, elapsedMs: number) => {
      const r = Math.round((sent * 1000) / elapsedMs);
      Deno.stderr.writeSync(
        enc.encode(
          `\rgenerated ${sent} events in ${
            (elapsedMs / 1000).toFixed(1)
          } s (${r}/s)   `,
        ),
      );
    }
    : undefined;

  let report: RunReport;
  let failed = false;
  try {
    if (source) {
      // The synthetic rules: --count wins; --duration with a rate is a line
      // count (rate × seconds), otherwise a wall-clock limit.
      const replayRate = rateFlag ?? 0;
      let limit = count;
      let wallLimitMs: number | undefined;
      if (limit === undefined && duration !== undefined) {
        if (replayRate > 0) limit = Math.round(replayRate * duration);
        else wallLimitMs = duration * 1000;
      }
      report = await runReplay(source, sink, {
        tenant: tenants[0] ?? "default",
        sourceName: stringOption(values, "source-name")!,
        node,
        seed,
        speed,
        rate: replayRate,
        burst,
        count: limit,
        wallLimitMs,
        signal: abort.signal,
        onProgress,
      });
    } else {
      // With a rate, --duration fixes the event count, so the output is the
      // same whatever the machine's speed.
      let total = count;
      let wallLimitMs: number | undefined;
      if (total === undefined && duration !== undefined) {
        if (rate > 0) total = Math.round(rate * duration);
        else wallLimitMs = duration * 1000;
      }
      const virtualRate = rate > 0 ? rate : UNPACED_VIRTUAL_RATE;
      report = await runSynthetic(sink, {
        generator: {
          seed,
          startMs,
          virtualRate,
          tenants: tenantNames,
          injects,
          node,
          plannedCount: total,
        },
        rate,
        burst,
        count: total,
        wallLimitMs,
        signal: abort.signal,
        onProgress,
      });
    }
  } catch (e) {
    failed = true;
    logger.error("generator stopped", { error: (e as Error).message });
    report = {
      events: 0,
      dead_letters: 0,
      elapsed_s: 0,
      requested_rate: rate,
      achieved_rate: 0,
    };
  } finally {
    try {
      await sink.close();
    } catch (e) {
      failed = true;
      logger.error("closing the output failed", {
        error: (e as Error).message,
      });
    }
  }
  if (onProgress) Deno.stderr.writeSync(enc.encode("\n"));
  const httpStats = http?.stats();
  logger.info("summary", {
    seed,
    start: new Date(startMs).toISOString(),
    output: sink.describe,
    ...report,
    ...(httpStats ? { http: httpStats } : {}),
    ...(abort.signal.aborted ? { interrupted: true } : {}),
  });
  if (report.time_fallbacks) {
    // Once per run, not per line: a log can hold millions of them.
    logger.warn(
      "replayed lines with an unusable time (unparseable, or a year outside 0000-9999) were stamped with the replay time",
      report.time_fallbacks,
    );
  }
  if (report.truncated_scenarios) {
    logger.warn(
      "some scenario events did not fit into the run; lengthen it or set at=",
      { scenarios: report.truncated_scenarios },
    );
  }
  if (httpStats && httpStats.failed_events > 0) {
    logger.error("events not delivered to ingest", {
      failed_events: httpStats.failed_events,
      last_error: httpStats.last_error,
    });
    return 1;
  }
  return failed ? 1 : 0;
});
