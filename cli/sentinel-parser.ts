/**
 * sentinel-parser: turns RawEvents (or raw log lines) into EnrichedEvents:
 * format detection, event time, classification, severity, entities,
 * IP class and indicator lookups. Unreadable records become dead letters.
 */
import {
  type CommandSpec,
  intOption,
  listOption,
  main,
  maxLineBytesOption,
  parseCommand,
  stringOption,
  UsageError,
} from "../stages/shared/cli.ts";
import { DEFAULT_MAX_LINE_BYTES } from "../stages/shared/ndjson.ts";
import type { Transport } from "../stages/shared/contracts/mod.ts";
import { openSource } from "../stages/shared/io/mod.ts";
import { createLogger } from "../stages/shared/log.ts";
import { runTransform } from "../stages/shared/runner.ts";
import {
  createParser,
  FORMAT_HINTS,
  type GeoIpTable,
  IndicatorLookup,
  isFormatHint,
  loadGeoIp,
} from "../stages/parser/mod.ts";
import { rawLineSource } from "../stages/parser/raw_lines.ts";

const spec: CommandSpec = {
  name: "sentinel-parser",
  summary:
    "Parses raw log records (syslog, systemd journal JSON, Linux audit, Cisco ASA/FTD, PAN-OS CSV, CEF, LEEF, key=value, web logs, JSON/ECS, Zeek, Suricata EVE, AWS CloudTrail, Okta, Entra ID sign-ins, Windows events as EVTX JSON, Winlogbeat or NXLog JSON) into enriched events.",
  usage: [
    "sentinel-parser [--in URI] [--out URI] [--lookup FILE]… [--geoip DB] [options]",
    "cat /var/log/auth.log | sentinel-parser --in-format lines",
  ],
  options: {
    in: {
      type: "string",
      default: "-",
      valueName: "URI",
      description:
        "Where input comes from: -, file:PATH, kafka://HOST:PORT/TOPIC?group=NAME (default group parser.TOPIC; copies with one group share the partitions).",
    },
    out: {
      type: "string",
      default: "-",
      valueName: "URI",
      description:
        "Where enriched events and dead letters go: -, file:PATH, kafka://HOST:PORT[/PREFIX]: each type to its own topic, events.enriched and events.deadletter; a path naming one (/prod.events.enriched) or a bare prefix (/prod) puts that prefix before both.",
    },
    "in-format": {
      type: "string",
      default: "ndjson",
      valueName: "FORMAT",
      description:
        "ndjson: RawEvent records (the pipe). lines: each input line is a raw log line, wrapped into a RawEvent.",
    },
    tenant: {
      type: "string",
      default: "default",
      valueName: "NAME",
      description:
        "Tenant of raw lines (--in-format lines) and of RawEvents that carry none.",
    },
    "source-name": {
      type: "string",
      valueName: "NAME",
      description:
        "source_name of raw lines (--in-format lines); default: stdin or the file name.",
    },
    format: {
      type: "string",
      valueName: "HINT",
      description:
        "Format hint for raw lines instead of auto-detection: rfc3164, rfc5424, cef, leef, kv, json, apache_access, apache_error, nginx_error, zeek, windows_evtx.",
    },
    lookup: {
      type: "string",
      multiple: true,
      valueName: "FILE",
      description:
        "Indicator CSV (repeatable): header 'indicator,<attribute>,…'; an indicator is an IP, a CIDR, or a name (user, host, domain). Matches add '<entity>.<attribute>' to enrichment.",
    },
    geoip: {
      type: "string",
      valueName: "DB",
      description:
        "Country of public source/destination IPs into <endpoint>.geo.country_iso_code (a country the record carries wins). DB: builtin (bundled RIR WHOIS table, CC0), an ip-location-db country package directory, or a CSV of start,end,CC ranges.",
    },
    "max-line-bytes": maxLineBytesOption(DEFAULT_MAX_LINE_BYTES),
  },
  examples: [
    "sentinel-generator --dry-run --rate 50 --duration 5 --inject brute_force_ssh | sentinel-parser | sentinel-detector --rules ./sigma | sentinel-sink",
    "cat /var/log/auth.log | sentinel-parser --in-format lines --tenant acme",
    "sentinel-parser --in-format lines --in file:/var/log/apache2/access.log --out file:events.ndjson",
    "sentinel-parser --lookup assets.csv --lookup threat_intel.csv",
    "cat /var/log/auth.log | sentinel-parser --in-format lines --geoip builtin",
    "sentinel-parser --in kafka://localhost:9092/events.raw?group=parser --out kafka://localhost:9092/events.enriched",
  ],
  notes: [
    "Lookup CSV example:\n  indicator,asset.owner,threat.list\n  10.0.0.5,alice,\n  203.0.113.0/24,,known-scanners\n  evil.example,,malware-c2",
    "RFC 3164 times carry no year or zone: the year is the one closest before received_at, the zone UTC.",
    "A syslog 'message repeated N times: [ MSG ]' line becomes N events, each classified as MSG alone (the first keeps the line's event_id, the others get ids derived from it, stable on replay; at most 1000), with fields syslog.repeated and syslog.repeat_index, so rules count every attempt.",
  ],
};

function hostName(): string {
  try {
    return Deno.hostname();
  } catch {
    return "localhost";
  }
}

async function loadLookup(
  files: string[],
): Promise<IndicatorLookup | undefined> {
  if (files.length === 0) return undefined;
  const lookup = new IndicatorLookup();
  for (const f of files) {
    let text: string;
    try {
      text = await Deno.readTextFile(f);
    } catch (e) {
      throw new UsageError(`--lookup ${f}: ${(e as Error).message}`);
    }
    try {
      lookup.addCsv(text, f);
    } catch (e) {
      throw new UsageError(`--lookup ${(e as Error).message}`);
    }
  }
  return lookup;
}

await main(async () => {
  const { values, logLevel } = parseCommand(spec, Deno.args);
  const logger = createLogger("parser", logLevel);
  const inFormat = stringOption(values, "in-format") ?? "ndjson";
  if (inFormat !== "ndjson" && inFormat !== "lines") {
    throw new UsageError(
      `--in-format: expected ndjson or lines, got '${inFormat}'`,
    );
  }
  const maxLineBytes = intOption(values, "max-line-bytes", {
    min: 64,
    max: 1 << 30,
  });
  const tenant = stringOption(values, "tenant") ?? "default";
  if (tenant === "" || tenant.length > 128) {
    throw new UsageError("--tenant: expected 1 to 128 characters");
  }
  const formatHint = stringOption(values, "format");
  if (formatHint !== undefined && !isFormatHint(formatHint)) {
    throw new UsageError(
      `--format: unknown format hint '${formatHint}', expected one of ${
        FORMAT_HINTS.join(", ")
      }`,
    );
  }
  if (formatHint !== undefined && inFormat !== "lines") {
    logger.warn(
      "--format applies to raw lines (--in-format lines); RawEvents carry their own hint",
    );
  }
  const lookup = await loadLookup(listOption(values, "lookup"));
  if (lookup) logger.info("lookup loaded", { indicators: lookup.size });
  const geoipPath = stringOption(values, "geoip");
  let geoip: GeoIpTable | undefined;
  if (geoipPath !== undefined) {
    try {
      geoip = await loadGeoIp(geoipPath);
    } catch (e) {
      throw new UsageError(`--geoip ${geoipPath}: ${(e as Error).message}`);
    }
    logger.info("geoip loaded", {
      v4_ranges: geoip.v4Ranges,
      v6_ranges: geoip.v6Ranges,
    });
  }
  const input = stringOption(values, "in") ?? "-";
  let source;
  if (inFormat === "lines") {
    const inner = await openSource(input, {
      stage: "parser",
      logger,
      maxLineBytes,
      defaultGroup: "parser",
    });
    const transport: Transport = input.startsWith("file:")
      ? "file"
      : input.startsWith("kafka://")
      ? "kafka"
      : "stdin";
    source = rawLineSource(inner, {
      tenant,
      transport,
      sourceName: stringOption(values, "source-name") ??
        (input.startsWith("file:")
          ? input.slice(5).split("/").pop() || "file"
          : "stdin"),
      ingestNode: hostName(),
      format: formatHint,
    });
  }
  await runTransform({
    stage: "parser",
    transform: createParser({ lookup, geoip, defaultTenant: tenant }),
    logger,
    in: input,
    out: stringOption(values, "out") ?? "-",
    source,
    maxLineBytes,
  });
  return 0;
});
