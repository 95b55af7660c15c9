/**
 * sentinel-sink: the end of the pipe. Stores enriched events, alerts, dead
 * letters (and raw events) in the embedded chDB store, a ClickHouse server
 * or NDJSON; `sentinel-sink query "SELECT …"` explores what was stored.
 */
import {
  type CommandSpec,
  type FlagValues,
  intOption,
  main,
  maxLineBytesOption,
  parseCommand,
  stringOption,
  UsageError,
} from "../stages/shared/cli.ts";
import { ENRICHED_MAX_LINE_BYTES } from "../stages/shared/ndjson.ts";
import { createLogger, type Logger } from "../stages/shared/log.ts";
import {
  CLICKHOUSE_FORMAT,
  DEFAULT_STORE_URI,
  openStore,
  QUERY_SETTINGS,
  type QueryFormat,
  type RecordStore,
  renderTable,
  type RetentionDays,
  runSink,
  singleStatement,
  StoreError,
  summaryText,
} from "../stages/sink/mod.ts";

const STORE_OPTIONS: CommandSpec["options"] = {
  out: {
    type: "string",
    default: DEFAULT_STORE_URI,
    valueName: "URI",
    description:
      "Where records are stored: chdb:DIR (embedded ClickHouse), http(s)://USER:PASS@HOST:8123/DATABASE (ClickHouse server), - or file:PATH (NDJSON).",
  },
  user: {
    type: "string",
    valueName: "NAME",
    description: "ClickHouse server user (overrides the URL's).",
  },
  password: {
    type: "string",
    valueName: "SECRET",
    description:
      "ClickHouse server password (overrides the URL's; prefer the env twin).",
  },
  database: {
    type: "string",
    valueName: "NAME",
    description: "Database (overrides the URL path). Default: sentinel.",
  },
  ca: {
    type: "string",
    valueName: "FILE",
    description:
      "With an https:// ClickHouse server: trust this CA certificate (PEM) besides the system's.",
  },
};

/**
 * The query subcommand's store flags: a query needs tables, so its --out
 * names only the stores that have them (NDJSON output is refused).
 */
const QUERY_STORE_OPTIONS: CommandSpec["options"] = {
  ...STORE_OPTIONS,
  out: {
    ...STORE_OPTIONS.out,
    description:
      "The store to query: chdb:DIR (embedded ClickHouse) or http(s)://USER:PASS@HOST:8123/DATABASE (ClickHouse server).",
  },
};

const spec: CommandSpec = {
  name: "sentinel-sink",
  summary:
    "Stores the pipe's records in chDB (embedded), a ClickHouse server or NDJSON.",
  usage: [
    "sentinel-sink [--in -|file:PATH|kafka://HOST:PORT/TOPIC] [--out chdb:DIR|http(s)://…|-|file:PATH] [options]",
    'sentinel-sink query "SELECT …" [--out chdb:DIR|http(s)://…] [--format table|json|csv]',
  ],
  subcommands: {
    query: "Run SQL against the store and print a table, JSON lines or CSV.",
  },
  options: {
    in: {
      type: "string",
      default: "-",
      valueName: "URI",
      description:
        "Where records come from: - (stdin NDJSON), file:PATH, kafka://HOST:PORT/TOPIC[,TOPIC]?group=NAME (default group sink.TOPIC; copies with one group share the partitions).",
    },
    ...STORE_OPTIONS,
    "create-schema": {
      type: "boolean",
      description:
        "Apply compose/clickhouse/init.sql before storing (always done for chdb: stores).",
    },
    "skip-schema": {
      type: "boolean",
      description: "Do not apply init.sql, even for a chdb: store.",
    },
    "batch-rows": {
      type: "string",
      default: "20000",
      valueName: "N",
      description: "Flush when this many rows are buffered.",
    },
    "batch-bytes": {
      type: "string",
      default: String(16 << 20),
      valueName: "BYTES",
      description: "Flush when this many bytes are buffered.",
    },
    "linger-ms": {
      type: "string",
      default: "1000",
      valueName: "MS",
      description: "Flush rows that have waited this long.",
    },
    "max-retries": {
      type: "string",
      default: "8",
      valueName: "N",
      description:
        "Retries of an unreachable store (exponential back-off) before exiting 1 without acknowledging.",
    },
    "retry-backoff-ms": {
      type: "string",
      default: "200",
      valueName: "MS",
      description: "First retry delay; doubles per attempt, capped at 10 s.",
    },
    "trust-input": {
      type: "boolean",
      description:
        "Skip JSON Schema validation of incoming records (faster). The database still refuses what it cannot store, but not every contract breach: into chDB events, a number for an enum column is refused; into alerts, or any table of a ClickHouse server, it is stored as that enum value.",
    },
    "events-ttl-days": {
      type: "string",
      valueName: "DAYS",
      description:
        "Days events (and their rollup minutes) are kept after they were stored (inserted_at), whatever their event time. Set when the schema is applied, on existing stores too; not given, a store keeps the days it has, and a TTL set by hand (other units, extra clauses, none) is left alone (new store: 30).",
    },
    "alerts-ttl-days": {
      type: "string",
      valueName: "DAYS",
      description:
        "Days alerts (and their rollup minutes) are kept after they were stored (inserted_at), whatever their time; as --events-ttl-days (new store: 90).",
    },
    "dead-letters-ttl-days": {
      type: "string",
      valueName: "DAYS",
      description:
        "Days dead letters (and their rollup minutes) are kept after they were stored (inserted_at); as --events-ttl-days (new store: 30).",
    },
    summary: {
      type: "string",
      default: "text",
      valueName: "FORMAT",
      description:
        "End-of-run summary: text (stderr), json (log line) or none.",
    },
    "max-line-bytes": maxLineBytesOption(ENRICHED_MAX_LINE_BYTES),
  },
  examples: [
    "sentinel-generator --dry-run --rate 50 --duration 5 --inject brute_force_ssh | sentinel-parser | sentinel-detector --rules ./sigma | sentinel-sink",
    "sentinel-sink --in file:events.ndjson --out chdb:/var/lib/sentinel",
    "SENTINEL_PASSWORD=secret sentinel-sink --in kafka://localhost:9092/events.enriched --out http://sentinel@clickhouse:8123/sentinel",
    'sentinel-sink query "SELECT rule.title, count() FROM sentinel.alerts FINAL GROUP BY 1 ORDER BY 2 DESC"',
    'sentinel-sink query --format csv "SELECT * FROM sentinel.events LIMIT 10"',
  ],
  notes: [
    "Tables: sentinel.events, sentinel.alerts, sentinel.dead_letters, sentinel.raw_events; per-minute rollups sentinel.*_per_minute (read with uniqMerge). Use FINAL for exact counts after replays.",
  ],
};

const querySpec: CommandSpec = {
  name: "sentinel-sink query",
  summary: "Runs SQL against the store and prints the result.",
  usage: [
    'sentinel-sink query "SELECT …" [--out chdb:DIR|http(s)://…] [--format table|json|csv]',
  ],
  options: {
    ...QUERY_STORE_OPTIONS,
    format: {
      type: "string",
      short: "f",
      default: "table",
      valueName: "FORMAT",
      // Not SENTINEL_FORMAT: that is the parser's input format hint, and a
      // shell exporting it for one must not break the other.
      env: "SENTINEL_QUERY_FORMAT",
      description:
        "table (aligned columns), json (one JSON object per row) or csv (with header).",
    },
  },
  examples: [
    'sentinel-sink query "SELECT category, count() FROM sentinel.events FINAL GROUP BY category"',
    'sentinel-sink query --format json "SELECT * FROM sentinel.alerts FINAL ORDER BY ts DESC LIMIT 5"',
  ],
};

function openFromFlags(
  values: FlagValues,
  logger: Logger,
  mustExist = false,
): Promise<RecordStore> {
  return openStore(stringOption(values, "out") ?? DEFAULT_STORE_URI, {
    logger,
    user: stringOption(values, "user"),
    password: stringOption(values, "password"),
    database: stringOption(values, "database"),
    caFile: stringOption(values, "ca"),
    mustExist,
  });
}

/**
 * {@link openFromFlags}, or null once a store that cannot be opened (e.g.
 * a chdb: directory another process holds) was explained in one line.
 */
async function openOrExplain(
  values: FlagValues,
  logger: Logger,
  mustExist = false,
): Promise<RecordStore | null> {
  try {
    return await openFromFlags(values, logger, mustExist);
  } catch (e) {
    if (!(e instanceof StoreError)) throw e;
    console.error(`error: ${e.message}`);
    return null;
  }
}

async function query(args: string[]): Promise<number> {
  const { values, positionals, logLevel } = parseCommand(querySpec, args);
  const logger = createLogger("sink", logLevel);
  const format = stringOption(values, "format") as QueryFormat;
  if (!(format in CLICKHOUSE_FORMAT)) {
    throw new UsageError(
      `--format: expected table, json or csv, got '${format}'`,
    );
  }
  const sql = singleStatement(positionals.join(" "));
  if (!sql) {
    throw new UsageError(
      'query: give the SQL as an argument, e.g. sentinel-sink query "SELECT 1"',
    );
  }
  // A query never creates a store: an empty one has nothing to find.
  const store = await openOrExplain(values, logger, true);
  if (!store) return 1;
  try {
    const out = await store.query(
      sql,
      CLICKHOUSE_FORMAT[format],
      QUERY_SETTINGS[format],
    );
    console.log(format === "table" ? renderTable(out) : out.replace(/\n$/, ""));
    return 0;
  } catch (e) {
    if (e instanceof StoreError) {
      console.error(`error: ${e.message}`);
      // The output format is --format's: a FORMAT clause of the query's own
      // clashes with the one query appends (a syntax error about it). Said
      // only once the database refused the SQL: a column named format
      // ("ORDER BY format DESC") is no FORMAT clause.
      const own = /\bFORMAT\s+(\w+)\s*$/i.exec(sql);
      if (e.code === 62 && own) {
        console.error(
          `hint: leave out 'FORMAT ${
            own[1]
          }'; choose the output with --format table, json or csv`,
        );
      }
      return e.code !== undefined ? 2 : 1; // the database refused the SQL: bad usage
    }
    throw e;
  } finally {
    await store.close();
  }
}

function retentionFrom(values: FlagValues): RetentionDays {
  return {
    events: intOption(values, "events-ttl-days", { min: 1 }),
    alerts: intOption(values, "alerts-ttl-days", { min: 1 }),
    dead_letters: intOption(values, "dead-letters-ttl-days", { min: 1 }),
  };
}

async function store(args: string[]): Promise<number> {
  const { values, positionals, logLevel } = parseCommand(spec, args);
  if (positionals.length) {
    throw new UsageError(
      `unexpected argument '${
        positionals[0]
      }' (the only subcommand is 'query')`,
    );
  }
  const logger = createLogger("sink", logLevel);
  const summaryMode = stringOption(values, "summary");
  if (!["text", "json", "none"].includes(summaryMode ?? "")) {
    throw new UsageError(
      `--summary: expected text, json or none, got '${summaryMode}'`,
    );
  }
  const writer = {
    maxRows: intOption(values, "batch-rows", { min: 1 }),
    maxBytes: intOption(values, "batch-bytes", { min: 1024 }),
    lingerMs: intOption(values, "linger-ms", { min: 1 }),
    maxRetries: intOption(values, "max-retries", { min: 0 }),
    backoffMs: intOption(values, "retry-backoff-ms", { min: 1 }),
  };
  const retention = retentionFrom(values);
  const maxLineBytes = intOption(values, "max-line-bytes", { min: 64 });
  const st = await openOrExplain(values, logger);
  if (!st) return 1;
  const createSchema = !values["skip-schema"] &&
    (st.kind === "chdb" || values["create-schema"] === true);
  const started = performance.now();
  try {
    const { run, stats } = await runSink({
      store: st,
      logger,
      in: stringOption(values, "in"),
      writer,
      validate: !values["trust-input"],
      createSchema,
      retention,
      maxLineBytes,
    });
    const seconds = (performance.now() - started) / 1000;
    if (summaryMode === "text") {
      console.error(summaryText({ stats, store: st.describe, seconds }));
    } else if (summaryMode === "json") {
      logger.info("sink summary", {
        store: st.describe,
        seconds,
        ...stats,
        ended_by: run.ended_by,
      });
    }
    return 0;
  } catch (e) {
    if (e instanceof StoreError) {
      logger.error("store failed; unacknowledged input will be redelivered", {
        store: st.describe,
        error: e.message,
        code: e.code,
      });
      return e.kind === "fatal" && e.code !== undefined &&
          [60, 81, 192, 193, 194, 497, 516].includes(e.code)
        ? 2
        : 1;
    }
    throw e;
  } finally {
    await st.close();
  }
}

if (import.meta.main) {
  await main(() =>
    Deno.args[0] === "query" ? query(Deno.args.slice(1)) : store(Deno.args)
  );
}
