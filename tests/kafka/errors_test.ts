/**
 * What a user sees when a stage is pointed at Kafka wrongly: a listener that
 * can never work (the controller port, TLS or SASL against a plaintext
 * listener) exits 2 with what to change instead of retrying forever; an
 * unreachable broker is reported at once, not after half a minute of
 * silence; consumers of different topics sharing a group are told why they
 * read nothing, and by default they do not share one.
 */
import assert from "node:assert/strict";
import { spawnStage } from "../../scripts/kafka/stage_proc.ts";
import { kafkaTest, startBroker, waitFor } from "./_broker.ts";

/** The KRaft controller listener of a broker started by kafka.sh. */
async function controllerAddress(dataDir: string): Promise<string> {
  const props = await Deno.readTextFile(`${dataDir}/server.properties`);
  const m = /CONTROLLER:\/\/([^,\s]+)/.exec(props);
  assert.ok(m, "no CONTROLLER listener in server.properties");
  return m[1];
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/**
 * Runs a parser reading `uri`; one still running (retrying) after `ms` is
 * killed and reported with code -1, so a regression fails instead of hanging.
 */
async function parser(uri: string, ms = 75_000) {
  const p = spawnStage("sentinel-parser", ["--in", uri, "--out", "-"]);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const code = await Promise.race([
    p.exited,
    new Promise<number>((r) => timer = setTimeout(() => r(-1), ms)),
  ]);
  clearTimeout(timer);
  if (code === -1) await p.kill();
  return { code, stderr: p.stderr() };
}

kafkaTest(
  "kafka: wrong listeners exit 2 with a hint (controller port, TLS or SASL on a plaintext listener); one topic per default group",
  async () => {
    const b = await startBroker();
    try {
      const controller = await controllerAddress(b.dataDir);
      const [ctl, sasl, tls] = await Promise.all([
        parser(`kafka://${controller}/events.raw`),
        parser(`kafka://u:p@${b.address}/events.raw?sasl=plain`),
        parser(`kafka://${b.address}/events.raw?tls=true`),
      ]);
      assert.equal(ctl.code, 2, ctl.stderr.slice(-1500));
      assert.match(ctl.stderr, /is this the controller port\?/);
      assert.equal(sasl.code, 2, sasl.stderr.slice(-1500));
      assert.match(sasl.stderr, /listener does not take SASL/);
      assert.equal(tls.code, 2, tls.stderr.slice(-1500));
      assert.match(tls.stderr, /probably plaintext: drop tls=/);

      // Two parsers on different topics in one explicit group: kafkajs
      // shares the group's partitions out across both topics, and a member
      // left with none says so. By default each topic has its own group.
      const run = (topic: string, group?: string) =>
        spawnStage("sentinel-parser", [
          "--in",
          b.uri(topic, {
            ...(group ? { group } : {}),
            partitions: 1,
            idle_exit_ms: 2000,
          }),
          "--out",
          "-",
        ]);
      const shared = [run("tA", "shared"), run("tB", "shared")];
      await Promise.all(shared.map((p) => p.exited));
      assert.ok(
        shared.some((p) => /got no partitions/.test(p.stderr())),
        shared.map((p) => p.stderr().slice(-1500)).join("\n---\n"),
      );
      const own = [run("tC"), run("tD")];
      await Promise.all(own.map((p) => p.exited));
      for (const [p, topic] of [[own[0], "tC"], [own[1], "tD"]] as const) {
        assert.doesNotMatch(p.stderr(), /got no partitions/);
        assert.match(
          p.stderr(),
          new RegExp(
            `"group":"parser\\.${topic}".*"assignment":\\{"${topic}":\\[0\\]\\}`,
          ),
        );
      }
    } finally {
      await b.destroy();
    }
  },
);

Deno.test({
  name:
    "kafka: an unreachable broker is logged at once (connecting…, then a warning), not after kafkajs' retries",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const port = freePort(); // nothing listens there
    const p = spawnStage("sentinel-parser", [
      "--in",
      `kafka://127.0.0.1:${port}/events.raw`,
      "--out",
      "-",
    ]);
    try {
      // kafkajs alone retries ~25 s before the adapter sees a failure; the
      // warning must come well before that (the bound is generous for a
      // loaded machine: start-up of the binary included).
      await waitFor(
        "the connection warning",
        () => /connection to the broker failed; retrying/.test(p.stderr()),
        15_000,
      );
      assert.match(p.stderr(), /"msg":"kafka: connecting".*127\.0\.0\.1:\d+/);
      assert.match(p.stderr(), /ECONNREFUSED/);
    } finally {
      await p.stop();
    }
  },
});
