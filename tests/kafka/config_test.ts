/**
 * `kafka://` URIs and partition keys, without a broker: what a user types
 * in `--in`/`--out` resolves to the brokers, group and topics they expect,
 * and mistakes are usage errors naming the bad part.
 */
import assert from "node:assert/strict";
import {
  DEFAULT_TOPICS,
  KafkaConfigError,
  kafkaSettings,
  parseKafkaUri,
  partitionKey,
} from "../../stages/shared/io/kafka_config.ts";
import { UsageError } from "../../stages/shared/cli.ts";

const noEnv = () => undefined;
const settings = (uri: string, env: Record<string, string> = {}) =>
  kafkaSettings(parseKafkaUri(uri), "detector", undefined, (k) => env[k]);

Deno.test("kafka URI: topic, group and client id from the URI, defaults from the stage", () => {
  const s = settings("kafka://127.0.0.1:19092/events.enriched?group=det");
  assert.deepEqual(s.brokers, ["127.0.0.1:19092"]);
  assert.equal(s.topic, "events.enriched");
  assert.equal(s.groupId, "det");
  assert.equal(s.clientId, "sentinel-detector");
  assert.deepEqual(s.topics, DEFAULT_TOPICS);
  const d = settings("kafka://k:9092/events.raw");
  assert.equal(d.groupId, "sentinel-detector.events.raw");
  assert.equal(
    kafkaSettings(new URL("kafka://k:9092/x"), "parser", "parser", noEnv)
      .groupId,
    "parser.x",
  );
});

Deno.test("kafka URI: two instances of a stage on different topics get different default groups (each gets partitions)", () => {
  const group = (uri: string) =>
    kafkaSettings(parseKafkaUri(uri), "parser", "parser", noEnv).groupId;
  assert.notEqual(group("kafka://k:1/tA"), group("kafka://k:1/tB"));
  assert.equal(group("kafka://k:1/tA"), group("kafka://k:1/tA?from=latest"));
  assert.equal(group("kafka://k:1/tA?group=shared"), "shared");
  assert.equal(group("kafka://k:1/tB?group=shared"), "shared");
});

Deno.test("kafka URI: several brokers in the host part or in ?brokers=", () => {
  assert.deepEqual(
    settings("kafka://a:9092,b:9093/events.raw?group=g").brokers,
    ["a:9092", "b:9093"],
  );
  assert.deepEqual(
    settings("kafka://a:9092/events.raw?brokers=c:1,a:9092").brokers,
    ["a:9092", "c:1"],
  );
  assert.deepEqual(
    settings("kafka://a:9092/t", { SENTINEL_KAFKA_BROKERS: "z:1" }).brokers,
    ["z:1"],
  );
});

Deno.test("kafka URI: sink path is a topic prefix, and topic.<type> overrides one topic", () => {
  assert.equal(settings("kafka://k:1").topics.alert, "alerts");
  assert.equal(settings("kafka://k:1/").topics.alert, "alerts");
  assert.equal(
    settings("kafka://k:1/events.enriched").topics.enriched_event,
    "events.enriched",
  );
  const p = settings("kafka://k:1/prod");
  assert.equal(p.topics.raw_event, "prod.events.raw");
  assert.equal(p.topics.dead_letter, "prod.events.deadletter");
  assert.equal(settings("kafka://k:1/t1-").topics.alert, "t1-alerts");
  const o = settings(
    "kafka://k:1/?topic.alert=sec.alerts&topic.dead_letter=dlq",
  );
  assert.equal(o.topics.alert, "sec.alerts");
  assert.equal(o.topics.dead_letter, "dlq");
  assert.equal(o.topics.raw_event, "events.raw");
});

Deno.test("kafka URI: a sink path that is a full topic name is used as is, never with a doubled suffix", () => {
  const raw = settings("kafka://k:1/prod.events.raw").topics;
  assert.equal(raw.raw_event, "prod.events.raw");
  assert.equal(raw.enriched_event, "prod.events.enriched");
  assert.equal(raw.dead_letter, "prod.events.deadletter");
  assert.equal(raw.alert, "prod.alerts");
  assert.deepEqual(settings("kafka://k:1/prod.").topics, raw);
  assert.deepEqual(settings("kafka://k:1/prod").topics, raw);
  assert.deepEqual(settings("kafka://k:1/prod.alerts").topics, raw);
  assert.equal(
    settings("kafka://k:1/t1-events.enriched").topics.enriched_event,
    "t1-events.enriched",
  );
  assert.equal(
    settings("kafka://k:1/t1_events.deadletter").topics.alert,
    "t1_alerts",
  );
  // No topic name ends up holding a default name twice.
  for (const path of ["prod.events.raw", "events.raw", "a-alerts", "x"]) {
    for (const t of Object.values(settings(`kafka://k:1/${path}`).topics)) {
      assert.ok(!/events\.raw.*events\.raw|alerts.*alerts/.test(t), t);
    }
  }
});

Deno.test("kafka URI: SASL credentials from the environment win over the URI; TLS on request", () => {
  const s = settings("kafka://u:p@k:9093/t?sasl=scram-sha-512&tls=true", {
    SENTINEL_KAFKA_PASSWORD: "from-env",
  });
  assert.deepEqual(s.sasl, {
    mechanism: "scram-sha-512",
    username: "u",
    password: "from-env",
  });
  assert.equal(s.tls?.rejectUnauthorized, true);
  assert.equal(settings("kafka://k:1/t").tls, undefined);
  assert.equal(settings("kafka://k:1/t").sasl, undefined);
});

Deno.test("kafka URI: any TLS setting turns TLS on (a CA or client certificate is never dropped for plaintext)", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const pem = `${dir}/client.pem`;
    Deno.writeTextFileSync(pem, "-----BEGIN CERTIFICATE-----\n");
    const cert = settings(`kafka://k:9093/t?tls.cert=${pem}&tls.key=${pem}`);
    assert.equal(cert.tls?.cert, "-----BEGIN CERTIFICATE-----\n");
    assert.equal(cert.tls?.key, "-----BEGIN CERTIFICATE-----\n");
    assert.equal(cert.tls?.rejectUnauthorized, true);
    const fromEnv = settings("kafka://k:9093/t", {
      SENTINEL_KAFKA_TLS_CERT: pem,
    });
    assert.equal(fromEnv.tls?.cert, "-----BEGIN CERTIFICATE-----\n");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
  const insecure = settings("kafka://k:9093/t?tls.insecure=true");
  assert.equal(insecure.tls?.rejectUnauthorized, false);
  assert.equal(
    settings("kafka://k:9093/t?tls=true&tls.insecure=false").tls
      ?.rejectUnauthorized,
    true,
  );
  assert.equal(settings("kafka://k:9093/t?tls=false").tls, undefined);
});

Deno.test("kafka URI: credentials without a SASL mechanism are a usage error naming ?sasl=", () => {
  const noMech: [string, Record<string, string>][] = [
    ["kafka://u:p@k:9093/t", {}],
    ["kafka://u@k:9093/t", {}],
    ["kafka://k:9093/t", { SENTINEL_KAFKA_USERNAME: "svc" }],
    ["kafka://k:9093/t", { SENTINEL_KAFKA_PASSWORD: "secret" }],
  ];
  for (const [uri, env] of noMech) {
    assert.throws(() => settings(uri, env), (e: Error) => {
      assert.ok(e instanceof UsageError, uri);
      assert.match(
        e.message,
        /no SASL mechanism: add \?sasl=plain\|scram-sha-256\|scram-sha-512/,
      );
      return true;
    });
  }
  // The mechanism from the environment is enough.
  assert.equal(
    settings("kafka://u:p@k:9093/t", {
      SENTINEL_KAFKA_SASL_MECHANISM: "PLAIN",
    }).sasl?.mechanism,
    "plain",
  );
});

Deno.test("kafka URI: mistakes are usage errors that name the culprit", () => {
  const bad: [string, RegExp][] = [
    ["kafka://k:1/t?grup=x", /unknown parameter 'grup'/],
    ["kafka://k:1/t?partitions=0", /partitions must be an integer >= 1/],
    ["kafka://k:1/t?from=middle", /from must be earliest or latest/],
    ["kafka://k:1/t?compression=lz4", /compression must be none, gzip or zstd/],
    ["kafka://k:1/t?sasl=kerberos", /sasl must be plain/],
    ["kafka://k:1/t?sasl=plain", /SASL needs a user name/],
    ["kafka://k/t", /broker 'k' must be HOST:PORT/],
    ["kafka://k:1/t?tls=on", /tls must be true or false, got 'on'/],
    [
      "kafka://k:1/t?tls=false&tls.insecure=true",
      /tls=false contradicts tls.insecure/,
    ],
  ];
  for (const [uri, re] of bad) {
    assert.throws(() => settings(uri), (e: Error) => {
      assert.ok(e instanceof KafkaConfigError, uri);
      assert.ok(e instanceof UsageError, uri);
      assert.match(e.message, re);
      return true;
    });
  }
});

Deno.test("partition keys: an entity's events share a key (source.ip, else user, else host, else event id)", () => {
  const ev = (extra: Record<string, unknown>) => ({
    record: "enriched_event",
    event_id: "e-1",
    ...extra,
  });
  assert.equal(
    partitionKey(ev({ source: { ip: "203.0.113.9" }, user: { name: "root" } })),
    "203.0.113.9",
  );
  assert.equal(
    partitionKey(ev({ user: { name: "root" }, host: { name: "web-01" } })),
    "root",
  );
  // A source known by name only (pam's rhost= resolved by sshd) is keyed by
  // that name, like an address: its brute force meets in one instance.
  assert.equal(
    partitionKey(ev({
      source: { domain: "n219076184117.netvigator.com" },
      user: { name: "root" },
    })),
    "n219076184117.netvigator.com",
  );
  assert.equal(partitionKey(ev({ host: { name: "web-01" } })), "web-01");
  assert.equal(partitionKey(ev({})), "e-1");
  assert.equal(
    partitionKey({ record: "raw_event", event_id: "r-1", source_name: "s" }),
    "r-1",
  );
  assert.equal(
    partitionKey({
      record: "alert",
      alert_id: "a",
      entity: { type: "source.ip", value: "203.0.113.9" },
    }),
    "203.0.113.9",
  );
  assert.equal(
    partitionKey({ record: "dead_letter", dead_letter_id: "d" }),
    "d",
  );
});
