/**
 * While the downstream is down, a UDP syslog flood gives one "not
 * delivered" warning a minute carrying the number of messages lost (and a
 * last one at close for the rest), not one line per datagram; the metrics
 * stay exact. WarnThrottle on its own with a fake clock.
 */
import assert from "node:assert/strict";
import dgram from "node:dgram";
import { GroupCommitWriter } from "../../stages/ingest/group_commit.ts";
import { WarnThrottle } from "../../stages/ingest/log_throttle.ts";
import { IngestMetrics } from "../../stages/ingest/metrics.ts";
import { startSyslogReceivers } from "../../stages/ingest/syslog_receiver.ts";
import { createLogger } from "../../stages/shared/log.ts";
import { MemorySink, SSHD_FAILED } from "./_helpers.ts";

Deno.test("WarnThrottle: the first occurrence warns, then at most once per interval with the count since the last warning", () => {
  let now = 1_000_000;
  const t = new WarnThrottle(60_000, () => now);
  assert.equal(t.note(), 1);
  for (let i = 0; i < 99; i++) assert.equal(t.note(), undefined);
  now += 59_999;
  assert.equal(t.note(3), undefined);
  now += 1;
  assert.equal(t.note(), 99 + 3 + 1);
  now += 10_000;
  assert.equal(t.note(5), undefined);
  assert.equal(t.drain(), 5);
  assert.equal(t.drain(), 0);
  now += 60_000;
  assert.equal(t.note(2), 2);
});

Deno.test("UDP syslog with the downstream down: 256 datagrams, one warning during the minute, one at close for the rest", async () => {
  const sink = new MemorySink();
  sink.failWith = new Error("broker unreachable");
  const metrics = new IngestMetrics();
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger(
    "ingest",
    "info",
    (line) => lines.push(JSON.parse(line)),
  );
  const receivers = await startSyslogReceivers({
    udpPort: 0,
    writer: new GroupCommitWriter(sink),
    metrics,
    tenant: "acme",
    ingestNode: "ingest-test-01",
    logger,
  });
  const sock = dgram.createSocket("udp4");
  const DATAGRAMS = 256;
  try {
    for (let i = 0; i < DATAGRAMS; i++) {
      await new Promise<void>((resolve, reject) =>
        sock.send(
          new TextEncoder().encode(`<38>${SSHD_FAILED} #${i}`),
          receivers.udpPort!,
          "127.0.0.1",
          (e) => e ? reject(e) : resolve(),
        )
      );
    }
    const deadline = Date.now() + 10_000;
    // Loopback may still drop a datagram under load: wait for all that came.
    let last = -1;
    while (Date.now() < deadline) {
      const dropped = metrics.errorCount("syslog_dropped");
      if (dropped === DATAGRAMS) break;
      if (dropped === last && dropped > 0) {
        await new Promise((r) => setTimeout(r, 200));
        if (metrics.errorCount("syslog_dropped") === dropped) break;
      }
      last = dropped;
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    sock.close();
  }
  const dropped = metrics.errorCount("syslog_dropped");
  assert.ok(dropped > DATAGRAMS / 2, `only ${dropped} datagrams arrived`);
  const warnings = () =>
    lines.filter((l) => l.msg === "syslog messages not delivered");
  assert.equal(warnings().length, 1, JSON.stringify(warnings()));
  assert.equal(warnings()[0].level, "warn");
  assert.equal(warnings()[0].messages, 1);
  assert.match(String(warnings()[0].error), /broker unreachable/);

  await receivers.close();
  assert.equal(warnings().length, 2, "the rest is told once at close");
  assert.equal(warnings()[1].messages, dropped - 1);
  assert.equal(metrics.eventCount("syslog"), 0);
});
