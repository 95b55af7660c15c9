/**
 * kafkajs' own log lines as a user sees them in the stage's log: the first
 * failed connection is a warning (not half a minute of silence), while a
 * broker that answers with a retriable error code (the group coordinator
 * still loading after a broker start) is no connection failure.
 */
import assert from "node:assert/strict";
import { logLevel } from "kafkajs";
import { logCreator } from "../../stages/shared/io/kafka.ts";
import { createLogger } from "../../stages/shared/log.ts";

function capture() {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger(
    "parser",
    "info",
    (l) => lines.push(JSON.parse(l)),
  );
  const log = logCreator(logger)();
  const entry = (
    namespace: string,
    level: number,
    message: string,
    rest = {},
  ) =>
    log({
      namespace,
      level,
      label: "ERROR",
      log: { timestamp: "", logger: "kafkajs", message, ...rest },
    });
  return { lines, entry };
}

Deno.test("kafka log: a broker answering 'coordinator is loading' is not reported as a failed connection", () => {
  const { lines, entry } = capture();
  entry(
    "Connection",
    logLevel.ERROR,
    "Response GroupCoordinator(key: 10, version: 2)",
    {
      broker: "127.0.0.1:9092",
      error:
        "The coordinator is loading and hence can't process requests for this group",
    },
  );
  assert.deepEqual(lines.filter((l) => l.level !== "debug"), []);
  // A refused connection after it is still the first failure, and warned.
  entry(
    "Connection",
    logLevel.ERROR,
    "Connection error: connect ECONNREFUSED 127.0.0.1:9092",
    {
      broker: "127.0.0.1:9092",
    },
  );
  const warned = lines.filter((l) => l.level === "warn");
  assert.equal(warned.length, 1);
  assert.match(
    String(warned[0].msg),
    /connection to the broker failed; retrying/,
  );
  assert.equal(warned[0].broker, "127.0.0.1:9092");
  // kafkajs repeats it on every retry: one warning per outage.
  entry(
    "Connection",
    logLevel.ERROR,
    "Connection error: connect ECONNREFUSED 127.0.0.1:9092",
  );
  assert.equal(lines.filter((l) => l.level === "warn").length, 1);
});

Deno.test("kafka log: an Error object as kafkajs' message is logged with its text, not a crash of the log handler", () => {
  const { lines, entry } = capture();
  entry(
    "BrokerPool",
    logLevel.ERROR,
    new Error("SASL PLAIN authentication failed") as unknown as string,
    { broker: "127.0.0.1:9092" },
  );
  const warned = lines.filter((l) => l.level === "warn");
  assert.equal(warned.length, 1);
  assert.equal(warned[0].error, "SASL PLAIN authentication failed");
});
