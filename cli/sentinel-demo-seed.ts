/**
 * sentinel-demo-seed: fills the embedded chDB store or a ClickHouse server
 * with realistic enriched events and alerts over the last hours, so the
 * dashboards and `sentinel-sink query` have data without running the pipe.
 */
import {
  type CommandSpec,
  intOption,
  main,
  parseCommand,
  stringOption,
  UsageError,
} from "../stages/shared/cli.ts";
import { createLogger } from "../stages/shared/log.ts";
import { seedRecords } from "../stages/demo_seed/mod.ts";
import {
  DEFAULT_STORE_URI,
  openStore,
  StoreWriter,
} from "../stages/sink/mod.ts";
import type { AnyRecord } from "../stages/shared/records.ts";

const spec: CommandSpec = {
  name: "sentinel-demo-seed",
  summary:
    "Fills chDB or ClickHouse with realistic demo events and alerts over the last hours.",
  usage: [
    "sentinel-demo-seed [--out chdb:DIR|http(s)://USER:PASS@HOST:8123/DATABASE] [--events N] [--alerts N] [--hours H] [--seed S]",
  ],
  options: {
    out: {
      type: "string",
      default: DEFAULT_STORE_URI,
      valueName: "URI",
      description:
        "Store: chdb:DIR, http(s)://… (ClickHouse server), - or file:PATH (NDJSON).",
    },
    user: {
      type: "string",
      valueName: "NAME",
      description: "ClickHouse server user.",
    },
    password: {
      type: "string",
      valueName: "SECRET",
      description: "ClickHouse server password.",
    },
    database: {
      type: "string",
      valueName: "NAME",
      description: "Database. Default: sentinel.",
    },
    ca: {
      type: "string",
      valueName: "FILE",
      description:
        "With an https:// ClickHouse server: trust this CA certificate (PEM) besides the system's.",
    },
    events: {
      type: "string",
      default: "600",
      valueName: "N",
      description: "Enriched events to create.",
    },
    alerts: {
      type: "string",
      default: "200",
      valueName: "N",
      description: "Alerts to create.",
    },
    hours: {
      type: "string",
      default: "3",
      valueName: "H",
      description: "Spread records over the last H hours.",
    },
    seed: {
      type: "string",
      default: "1",
      valueName: "S",
      description: "Random seed (same seed and time, same data).",
    },
    end: {
      type: "string",
      valueName: "TIME",
      description:
        "End of the time span, ISO 8601 (e.g. 2026-11-24T12:00:00Z). Default: now. The same flags and --end give the same records, ids included, so repeating a seeding replaces it; another tenant or time adds to it.",
    },
    tenant: {
      type: "string",
      default: "default",
      valueName: "NAME",
      description: "Tenant of the records.",
    },
  },
  examples: [
    "sentinel-demo-seed",
    "sentinel-demo-seed --out http://default:@localhost:8123/sentinel --events 5000 --alerts 500 --hours 24",
    "sentinel-demo-seed --tenant acme --end 2026-11-24T12:00:00Z",
  ],
};

/** `--end`: an ISO 8601 time with a date (ms), or now when not given. */
function endOption(text: string | undefined): number {
  if (text === undefined) return Date.now();
  const ms = /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(text) : NaN;
  if (!Number.isFinite(ms)) {
    throw new UsageError(
      `--end ${text}: not an ISO 8601 time (e.g. 2026-11-24T12:00:00Z)`,
    );
  }
  return ms;
}

if (import.meta.main) {
  await main(async () => {
    const { values, logLevel } = parseCommand(spec);
    const logger = createLogger("demo-seed", logLevel);
    const hours = intOption(values, "hours", { min: 1, max: 24 * 90 })!;
    const opts = {
      events: intOption(values, "events", { min: 0 })!,
      alerts: intOption(values, "alerts", { min: 0 })!,
      hours,
      seed: intOption(values, "seed", { min: 0 })!,
      tenant: stringOption(values, "tenant")!,
      endMs: endOption(stringOption(values, "end")),
    };
    if (!opts.tenant) throw new UsageError("--tenant must not be empty");
    const store = await openStore(stringOption(values, "out")!, {
      logger,
      user: stringOption(values, "user"),
      password: stringOption(values, "password"),
      database: stringOption(values, "database"),
      caFile: stringOption(values, "ca"),
    });
    try {
      await store.applySchema(undefined, logger);
      const { events, alerts } = seedRecords(opts);
      const writer = new StoreWriter(store, logger, { maxRows: 50_000 });
      const records: AnyRecord[] = [...events, ...alerts];
      await writer.write(
        records.map((record) => ({
          record,
          line: JSON.stringify(record),
          forwarded: false,
        })),
      );
      await writer.close();
      const s = writer.stats;
      console.error(
        `demo-seed: ${s.stored.events} events and ${s.stored.alerts} alerts over the last ${hours} h stored in ${store.describe}` +
          (s.rejected
            ? ` (${s.rejected} refused, stored as dead letters)`
            : ""),
      );
      return 0;
    } finally {
      await store.close();
    }
  });
}
