import assert from "node:assert/strict";
import { expandGrafanaSql } from "./grafana_sql.ts";

const ctx = {
  from: new Date("2026-11-24T09:00:00.000Z"),
  to: new Date("2026-11-24T12:00:00.500Z"),
  intervalMs: 30_000,
  variables: { tenant: ["default", "o'neil"] },
};

Deno.test("time macros expand as the ClickHouse plugin does (seconds, ms, intervals)", () => {
  assert.equal(
    expandGrafanaSql("WHERE $__timeFilter(ts)", ctx),
    "WHERE ts >= toDateTime(1795510800) AND ts <= toDateTime(1795521600)",
  );
  assert.equal(
    expandGrafanaSql("$__timeFilter_ms(ts)", ctx),
    "ts >= fromUnixTimestamp64Milli(1795510800000) AND ts <= fromUnixTimestamp64Milli(1795521600500)",
  );
  assert.equal(
    expandGrafanaSql("SELECT $__timeInterval(ts) AS time, $__interval_s", ctx),
    "SELECT toStartOfInterval(toDateTime(ts), INTERVAL 30 second) AS time, 30",
  );
  assert.equal(
    expandGrafanaSql("$__timeInterval(toStartOfMinute(ts))", ctx),
    "toStartOfInterval(toDateTime(toStartOfMinute(ts)), INTERVAL 30 second)",
  );
  assert.equal(
    expandGrafanaSql("$__fromTime AND $__toTime_ms", ctx),
    "toDateTime(1795510800) AND fromUnixTimestamp64Milli(1795521600500)",
  );
});

Deno.test("a multi-value tenant variable becomes a quoted, escaped IN list", () => {
  assert.equal(
    expandGrafanaSql("tenant IN (${tenant:singlequote})", ctx),
    "tenant IN ('default','o\\'neil')",
  );
});

Deno.test("unknown macros, unknown variables and unformatted multi-values are refused", () => {
  assert.throws(
    () => expandGrafanaSql("$__conditionalAll(x, $tenant)", ctx),
    /variable needs a format/,
  );
  assert.throws(
    () => expandGrafanaSql("$__unixEpochFilter(ts)", ctx),
    /unsupported Grafana macro/,
  );
  assert.throws(
    () => expandGrafanaSql("host = '$host'", ctx),
    /no template variable 'host'/,
  );
  assert.throws(
    () => expandGrafanaSql("$__timeFilter(a, b)", ctx),
    /expected 1 argument/,
  );
});
