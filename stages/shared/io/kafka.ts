/**
 * Kafka adapter (kafkajs), shared by every stage: a consumer-group source and
 * a topic-per-record-type sink, with at-least-once delivery.
 *
 * Source: one consumer in the group named by the URI. Fetched partition
 * batches (cut to `max_batch` records) are handed to the runner as
 * {@link InputBatch}es; offsets are committed only by `commit()`, which the
 * runner calls after the sink acknowledged everything produced from the
 * batch. At most `max_inflight` records are handed out uncommitted; beyond
 * that the consumer stops fetching, so consumption is back-pressured by the
 * slowest output and offsets never run ahead of acknowledged output. Records
 * never committed (crash, rebalance, shutdown mid-batch) are delivered
 * again, to another group member or a new process; a running process skips
 * the records it already handed to its stage (see `#handedUpTo`).
 *
 * Sink: an idempotent producer with `acks=-1`; `write()` resolves only when
 * the broker acknowledged every record, retrying with back-off while the
 * broker is away. Forwarded records are skipped: they already sit on their
 * own topic. Keys: see {@link partitionKey}. Topics are created when missing.
 *
 * URI and parameters: see `kafka_config.ts`.
 *
 * @module
 */
// First: kafkajs' CRC module must be swapped before kafkajs loads it.
import "./kafka_speedups.ts";
// After the speedups (it loads the batch decoder, which takes their record
// decoder): a batch that cannot be decoded becomes a dead letter.
import {
  type FetchedRecord,
  onUndecodableTail,
  UNDECODABLE_BATCH,
  type UndecodableBatch,
} from "./kafka_batch_guard.ts";
// snappy, lz4 and zstd, which kafkajs lacks (it ships gzip only).
import "./kafka_codecs.ts";
import {
  type Admin,
  CompressionTypes,
  type Consumer,
  type EachBatchPayload,
  type ISocketFactory,
  Kafka,
  type KafkaConfig,
  type LogEntry,
  logLevel,
  type Message,
  Partitioners,
  type Producer,
} from "kafkajs";
import { connect as netConnect, isIP } from "node:net";
import { connect as tlsConnect } from "node:tls";
import type { Logger } from "../log.ts";
import { deadLetter, type RecordType } from "../records.ts";
import type { Stage } from "../contracts/mod.ts";
import type { AdapterOptions } from "./mod.ts";
import type {
  InputBatch,
  OutputRecord,
  RecordSink,
  RecordSource,
} from "./types.ts";
import {
  KafkaConfigError,
  type KafkaSettings,
  kafkaSettings,
  partitionKey,
  type ProducedCompression,
} from "./kafka_config.ts";

export {
  DEFAULT_TOPICS,
  KafkaConfigError,
  kafkaSettings,
  parseKafkaUri,
  partitionKey,
} from "./kafka_config.ts";
export type { KafkaSettings } from "./kafka_config.ts";

/** kafkajs' compression type of each `compression=` value. */
const PRODUCED_COMPRESSION: Record<ProducedCompression, CompressionTypes> = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
  zstd: CompressionTypes.ZSTD,
} as const;

/** Kafka errors after which retrying the same call cannot help. */
const FATAL_TYPES = new Set([
  "TOPIC_AUTHORIZATION_FAILED",
  "GROUP_AUTHORIZATION_FAILED",
  "CLUSTER_AUTHORIZATION_FAILED",
  "SASL_AUTHENTICATION_FAILED",
  "INVALID_TOPIC_EXCEPTION",
  "MESSAGE_TOO_LARGE",
  "RECORD_LIST_TOO_LARGE",
  "INVALID_RECORD",
  "UNSUPPORTED_VERSION",
  "UNSUPPORTED_SASL_MECHANISM",
  "ILLEGAL_SASL_STATE",
  "TLS_ON_PLAINTEXT",
]);

/** Produce errors that splitting the request can cure. */
const TOO_LARGE = new Set(["MESSAGE_TOO_LARGE", "RECORD_LIST_TOO_LARGE"]);

/** Commit errors meaning "this member no longer owns the partition". */
const LOST_OWNERSHIP = new Set([
  "REBALANCE_IN_PROGRESS",
  "ILLEGAL_GENERATION",
  "UNKNOWN_MEMBER_ID",
  "FENCED_INSTANCE_ID",
  "NOT_COORDINATOR",
]);

/**
 * The Kafka error type of `e`, looking through kafkajs' wrappers
 * (`originalError`, `cause`). Some failures carry no `type`: a listener that
 * does not speak the client protocol (a KRaft controller port) raises
 * KafkaJSServerDoesNotSupportApiKey, named here UNSUPPORTED_VERSION; a TLS
 * handshake cut by a plaintext listener is named TLS_ON_PLAINTEXT.
 */
export function errType(e: unknown): string {
  let x = e as ErrorChain | undefined;
  for (let depth = 0; x && depth < 6; depth++) {
    if (typeof x.type === "string" && x.type) return x.type;
    if (x.name === "KafkaJSServerDoesNotSupportApiKey") {
      return "UNSUPPORTED_VERSION";
    }
    // A plaintext listener reads the TLS ClientHello as a request of absurd
    // size and drops the connection mid-handshake; a broker that is down
    // refuses (ECONNREFUSED) or times out instead, so this is not an outage.
    if (
      typeof x.message === "string" &&
      x.message.includes("disconnected before secure TLS connection")
    ) {
      return "TLS_ON_PLAINTEXT";
    }
    x = x.originalError ?? x.cause;
  }
  return "";
}

interface ErrorChain {
  type?: string;
  name?: string;
  message?: string;
  originalError?: ErrorChain;
  cause?: ErrorChain;
}

/**
 * Fatal errors that come from the settings, with what to change: the CLI
 * exits 2 (usage/configuration) for them instead of retrying forever.
 */
const CONFIG_HINTS: Record<string, string> = {
  UNSUPPORTED_VERSION:
    "not a Kafka broker listener — is this the controller port? Use the broker's client port (listeners=PLAINTEXT://…)",
  TLS_ON_PLAINTEXT:
    "the listener closed the TLS handshake — it is probably plaintext: drop tls=/tls.* or use the broker's TLS listener",
  ILLEGAL_SASL_STATE:
    "the listener does not take SASL — drop ?sasl= (and credentials) or use the broker's SASL listener",
  UNSUPPORTED_SASL_MECHANISM:
    "the broker does not enable this SASL mechanism — pick one it lists in sasl.enabled.mechanisms (?sasl=plain|scram-sha-256|scram-sha-512)",
  SASL_AUTHENTICATION_FAILED:
    "wrong user name or password (SENTINEL_KAFKA_USERNAME / SENTINEL_KAFKA_PASSWORD), or the wrong ?sasl= mechanism",
};

function errMessage(e: unknown): string {
  return (e as Error)?.message ?? String(e);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** kafkajs namespaces whose errors are retried (and reported) by us. */
const RETRIED_NAMESPACES = new Set(["Connection", "BrokerPool"]);

/**
 * After this long without a connection error, the next one is a new
 * outage and is reported again.
 */
const OUTAGE_QUIET_MS = 60_000;

/** kafkajs log lines into the stage's structured log (exported for tests). */
export function logCreator(logger: Logger) {
  let lastConnectionError = -Infinity;
  return () => ({ namespace, level, log }: LogEntry) => {
    const {
      message: raw,
      timestamp: _t,
      logger: _l,
      stack: _s,
      ...rest
    } = log as Record<string, unknown> & { message: unknown };
    // kafkajs sometimes logs an Error object as the message (its broker
    // pool on a failed connect); a throw here would replace that error.
    const message = typeof raw === "string" ? raw : errMessage(raw);
    const fields = { kafka: namespace, ...rest };
    // Failed requests and lost connections are retried by kafkajs and then
    // by this adapter, which logs what finally fails; the producer's
    // "limiting retries" notice is moot because writes are retried here.
    const quiet = RETRIED_NAMESPACES.has(namespace) ||
      message.startsWith("Limiting retries for the idempotent producer");
    // "Response <Api>(…)" is a broker that answered with an error code
    // (e.g. the group coordinator still loading after a broker start):
    // kafkajs retries those, and it is no connection failure.
    const answered = message.startsWith("Response ");
    if (
      RETRIED_NAMESPACES.has(namespace) && level === logLevel.ERROR && !answered
    ) {
      // kafkajs retries a connection for half a minute before this adapter
      // sees the failure: say at the first one that the broker is not
      // answering, so a wrong address is not half a minute of silence.
      const now = Date.now();
      const first = now - lastConnectionError >= OUTAGE_QUIET_MS;
      lastConnectionError = now;
      if (first) {
        logger.warn("kafka: connection to the broker failed; retrying", {
          broker: rest.broker,
          error: rest.error ?? message,
        });
        return;
      }
    }
    if (!quiet && level === logLevel.ERROR) {
      logger.warn(`kafka: ${message}`, fields);
    } else if (!quiet && level === logLevel.WARN) {
      logger.info(`kafka: ${message}`, fields);
    } else {
      logger.debug(`kafka: ${message}`, fields);
    }
  };
}

/**
 * Silences the harmless negative-timeout warning kafkajs triggers on Deno
 * (its throttle timer is computed from an unset timestamp). Call before
 * using kafkajs directly; the adapter does it itself.
 */
export function quietNodeWarnings(): void {
  const g = globalThis as { process?: { emitWarning?: unknown } };
  const proc = g.process as
    | { emitWarning: (w: unknown, ...a: unknown[]) => void; __sentinel?: 1 }
    | undefined;
  if (!proc?.emitWarning || proc.__sentinel) return;
  const orig = proc.emitWarning.bind(proc);
  proc.emitWarning = (w: unknown, ...a: unknown[]) => {
    const name = typeof a[0] === "string" ? a[0] : (w as Error)?.name;
    if (name === "TimeoutNegativeWarning") return;
    orig(w, ...a);
  };
  proc.__sentinel = 1;
}

/**
 * kafkajs' socket factory plus TCP_NODELAY: without it Nagle's algorithm
 * holds the tail of every large produce request until the broker's delayed
 * ACK, adding tens of milliseconds per request (measured: 2x throughput).
 */
const socketFactory: ISocketFactory = ({ host, port, ssl, onConnect }) => {
  const socket = ssl
    ? tlsConnect(
      Object.assign(
        { host, port },
        isIP(host) ? {} : { servername: host },
        ssl,
      ),
      onConnect,
    )
    : netConnect({ host, port }, onConnect);
  socket.setKeepAlive(true, 60000);
  socket.setNoDelay(true);
  return socket;
};

function clientConfig(s: KafkaSettings, logger: Logger): KafkaConfig {
  quietNodeWarnings();
  logger.info("kafka: connecting", {
    brokers: s.brokers,
    tls: s.tls !== undefined,
    sasl: s.sasl?.mechanism,
  });
  const cfg: KafkaConfig = {
    socketFactory,
    clientId: s.clientId,
    brokers: s.brokers,
    connectionTimeout: 3000,
    requestTimeout: 30000,
    retry: { initialRetryTime: 250, maxRetryTime: 5000, retries: 8 },
    logLevel: logger.enabled("debug") ? logLevel.DEBUG : logLevel.WARN,
    logCreator: logCreator(logger),
  };
  if (s.tls) cfg.ssl = s.tls;
  if (s.sasl) {
    cfg.sasl = s.sasl as KafkaConfig["sasl"];
  }
  return cfg;
}

/**
 * Calls `fn` until it succeeds, backing off from 250 ms to 5 s. Gives up when
 * `isFatal(e)` says so, when `budgetMs` (> 0) has passed, or when `stopped()`.
 */
async function withRetry<T>(
  what: string,
  logger: Logger,
  fn: () => Promise<T>,
  opts: { budgetMs: number; stopped?: () => boolean },
): Promise<T> {
  const start = Date.now();
  let delay = 250;
  for (let attempt = 1;; attempt++) {
    try {
      return await fn();
    } catch (e) {
      const t = errType(e);
      const over = opts.budgetMs > 0 && Date.now() - start >= opts.budgetMs;
      const hint = CONFIG_HINTS[t];
      if (hint) {
        // A setting to change, not an outage: exit 2 with what to change.
        throw new KafkaConfigError(
          `kafka: ${what} failed: ${errMessage(e)}: ${hint}`,
          { cause: e },
        );
      }
      if (FATAL_TYPES.has(t) || over || opts.stopped?.()) {
        throw new Error(
          `kafka: ${what} failed${
            attempt > 1 ? ` after ${attempt} attempts` : ""
          }: ${errMessage(e)}`,
          { cause: e },
        );
      }
      logger.warn(`kafka: ${what} failed; retrying`, {
        attempt,
        retry_in_ms: delay,
        error: errMessage(e),
        error_type: t || undefined,
      });
      await sleep(delay);
      delay = Math.min(delay * 2, 5000);
    }
  }
}

/** Creates the topics that are missing. */
async function ensureTopics(
  admin: Admin,
  topics: string[],
  s: KafkaSettings,
): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const missing = [...new Set(topics)].filter((t) => !existing.has(t));
  if (missing.length === 0) return;
  await admin.createTopics({
    waitForLeaders: true,
    topics: missing.map((topic) => ({
      topic,
      numPartitions: s.partitions,
      replicationFactor: s.replication,
      // Enriched events can outgrow the raw line; allow up to 8 MiB.
      configEntries: [{ name: "max.message.bytes", value: "8388608" }],
    })),
  });
}

/**
 * Creates `topics` (when missing) with `partitions` partitions. Used by
 * `scripts/kafka.sh topics` and by tests.
 */
export async function createTopics(
  brokers: string[],
  topics: string[],
  partitions: number,
  logger: Logger,
): Promise<void> {
  const url = new URL(`kafka://${brokers[0]}/`);
  url.searchParams.set("brokers", brokers.join(","));
  url.searchParams.set("partitions", String(partitions));
  const s = kafkaSettings(url, "kafka-admin");
  const admin = new Kafka(clientConfig(s, logger)).admin();
  try {
    await withRetry("connect", logger, () => admin.connect(), {
      budgetMs: 60000,
    });
    await withRetry(
      "create topics",
      logger,
      () => ensureTopics(admin, topics, s),
      { budgetMs: 60000 },
    );
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/**
 * Consumer-group source of one or more topics (comma-separated in the URI
 * path).
 *
 * Batches are handed out as fetched (kafkajs keeps fetching ahead), but
 * offsets are committed only by `InputBatch.commit()`, and at most
 * `max_inflight` records may be handed out and not yet committed: beyond
 * that the consumer stops fetching (heart-beating meanwhile) until commits
 * catch up. So a stage that commits late — like the sink, which commits
 * after its database insert — can still pipeline several batches, while a
 * slow output back-pressures consumption and offsets never run ahead of
 * acknowledged output. Batches handed out but never committed (crash,
 * shutdown, lost partition) are delivered again from the last commit, but
 * never twice to the same process: when the group starts over (broker
 * restart, rebalance) the records this process handed out before are
 * skipped, since its stage already has them, and counted
 * (`redelivered_skipped` in the run summary). A partition whose log was
 * replaced under it (topic recreated, log truncated) is read as new, not
 * skipped (`partitions_reset`; see `#logReplaced`).
 */
class KafkaSource implements RecordSource {
  readonly describe: string;
  readonly #s: KafkaSettings;
  readonly #topics: string[];
  readonly #logger: Logger;
  readonly #maxLineBytes: number;
  readonly #consumer: Consumer;
  readonly #admin: Admin;
  #closed = false;
  #running = false;
  /** Batches ready for the runner, with their record counts. */
  #queue: { batch: InputBatch; n: number }[] = [];
  /** Wakes `batches()` when a batch arrives or the source closes. */
  #wake: (() => void) | null = null;
  /** Wakes an eachBatch handler waiting for in-flight records to drain. */
  #drained: (() => void) | null = null;
  #failure: Error | null = null;
  #lastActivity = Date.now();
  /** The idle clock runs only once the group gave this member partitions. */
  #joined = false;
  /** Records handed out and not yet committed. */
  #inflight = 0;
  /** Highest offset committed per "topic/partition", so commits never go back. */
  #committed = new Map<string, bigint>();
  /** Offsets acknowledged by the stage and not yet sent to the broker. */
  #pending = new Map<
    string,
    { topic: string; partition: number; offset: bigint; generation: number }
  >();
  /**
   * Offsets on their way to the broker (taken from `#pending`, not yet
   * answered): a commit acknowledged meanwhile compares against them too,
   * or an older batch's offset would follow a newer one and move the
   * group back.
   */
  #sending = new Map<string, bigint>();
  /** The running commit loop, if any. */
  #commitLoop: Promise<void> | null = null;
  #closing: Promise<void> | null = null;
  /** Partitions this member owns ("topic/partition"); commits elsewhere are dropped. */
  #assigned = new Set<string>();
  /**
   * Per "topic/partition", the offset after the last record this process
   * handed to the stage. When the group session starts over (a broker
   * restart, a rebalance, a consumer restarted after a crash), fetching
   * resumes from the committed offsets, which a stage that holds commits
   * back (the detector's open windows) keeps behind what it has read: the
   * records before this offset are already in the stage's state, so they
   * are skipped instead of counted twice. Kept across rebalances (a
   * partition given back still has its records in the state); a new
   * process starts empty and reads from the commits, as the hold-back
   * intends.
   */
  #handedUpTo = new Map<string, bigint>();
  /**
   * Per "topic/partition", which log of it this process reads: bumped when
   * the partition's log turns out not to be the one read before (topic
   * deleted and recreated, log truncated; see {@link #logReplaced}). A
   * batch's commit carries the generation it was handed out under, and a
   * commit of a log that is gone is dropped: its offsets mean other records
   * in the new log, and committing them would skip those on a restart.
   */
  #logGeneration = new Map<string, number>();
  /** Records fetched again that this process had handed out: skipped. */
  #skipped = 0;
  /** Partitions whose log was found replaced, and their state forgotten. */
  #partitionsReset = 0;
  /** Batches that could not be decoded (each one dead letter). */
  #undecodableBatches = 0;
  readonly #unlistenTail: () => void;
  /** Partitions whose replay was logged at info since the group last joined. */
  #skipLogged = new Set<string>();
  #idleTimer: ReturnType<typeof setInterval> | undefined;

  constructor(
    s: KafkaSettings,
    topics: string[],
    logger: Logger,
    maxLineBytes: number,
  ) {
    this.#s = s;
    this.#topics = topics;
    this.#logger = logger.child({
      kafka_in: topics.join(","),
      group: s.groupId,
    });
    this.#maxLineBytes = maxLineBytes;
    this.describe = `kafka ${topics.join(",")} (group ${s.groupId})`;
    // A damaged newest batch stalls its partition until a later one is
    // written (see kafka_batch_guard.ts): say so once per batch.
    const warned = new Set<string>();
    this.#unlistenTail = onUndecodableTail((firstOffset, error) => {
      if (warned.has(firstOffset) || warned.size > 1000) return;
      warned.add(firstOffset);
      this.#logger.warn(
        "kafka: a fetched record batch cannot be decoded and its end cannot be told yet (its header fails the CRC and nothing was written after it); its partition waits for the next batch, then the damaged one becomes a dead letter",
        { first_offset: firstOffset, error },
      );
    });
    const kafka = new Kafka(clientConfig(s, this.#logger));
    this.#admin = kafka.admin();
    this.#consumer = kafka.consumer({
      groupId: s.groupId,
      sessionTimeout: s.sessionTimeoutMs,
      heartbeatInterval: s.heartbeatMs,
      rebalanceTimeout: 60000,
      allowAutoTopicCreation: false,
      maxBytesPerPartition: 4 << 20,
      maxBytes: 16 << 20,
      maxWaitTimeInMs: 100,
      retry: {
        initialRetryTime: 250,
        maxRetryTime: 5000,
        retries: 10,
        // Keep the consumer alive across broker outages.
        restartOnFailure: () => Promise.resolve(!this.#closed),
      },
    });
    const { CRASH, GROUP_JOIN, REBALANCING } = this.#consumer.events;
    this.#consumer.on(CRASH, (ev) => {
      const { error, restart } = ev.payload;
      this.#logger.warn("kafka consumer crashed", {
        error: errMessage(error),
        restart,
      });
      if (!restart && !this.#closed) {
        if (FATAL_TYPES.has(errType(error))) {
          this.#fail(
            new Error(`kafka consumer stopped: ${errMessage(error)}`, {
              cause: error,
            }),
          );
        } else {
          // kafkajs gives up on some errors during a long broker outage (the
          // group coordinator not found after its retries) and stops the
          // consumer; a stage must outlive the outage, so it starts the
          // consumer again. Batches handed out before are redelivered.
          this.#recover().catch((e) => this.#fail(e as Error));
        }
      }
    });
    this.#consumer.on(GROUP_JOIN, (ev) => {
      const assignment = ev.payload.memberAssignment;
      this.#assigned = new Set(
        Object.entries(assignment).flatMap(([t, ps]) =>
          ps.map((p) => `${t}/${p}`)
        ),
      );
      this.#lastActivity = Date.now();
      this.#joined = true;
      this.#skipLogged.clear();
      this.#logger.info("kafka consumer joined group", {
        member: ev.payload.memberId,
        leader: ev.payload.isLeader,
        assignment,
      });
      if (this.#assigned.size === 0) {
        // Reads nothing until a rebalance gives it partitions: say why.
        this.#logger.warn(
          "kafka consumer got no partitions: it reads nothing for now",
          {
            group: s.groupId,
            hint:
              "more members in the group than partitions, or the group is shared with consumers of other topics (give each topic's readers their own ?group=)",
          },
        );
      }
    });
    this.#consumer.on(REBALANCING, () => {
      this.#logger.info("kafka consumer group rebalancing");
    });
  }

  async open(): Promise<void> {
    const stopped = () => this.#closed;
    await withRetry("connect", this.#logger, () => this.#admin.connect(), {
      budgetMs: 0,
      stopped,
    });
    await withRetry(
      "create topic",
      this.#logger,
      () => ensureTopics(this.#admin, this.#topics, this.#s),
      { budgetMs: 0, stopped },
    );
    await this.#admin.disconnect().catch(() => {});
    await withRetry("connect", this.#logger, () => this.#consumer.connect(), {
      budgetMs: 0,
      stopped,
    });
    // Right after a topic is created its metadata may not have reached every
    // broker yet (UNKNOWN_TOPIC_OR_PARTITION): retriable, like connecting.
    await withRetry(
      "subscribe",
      this.#logger,
      () =>
        this.#consumer.subscribe({
          topics: this.#topics,
          fromBeginning: this.#s.fromBeginning,
        }),
      { budgetMs: 0, stopped },
    );
  }

  #fail(e: Error): void {
    this.#failure = e;
    this.#wakeUp();
  }

  #wakeUp(): void {
    const w = this.#wake;
    this.#wake = null;
    w?.();
  }

  #run(): Promise<void> {
    return this.#consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: (p) => this.#eachBatch(p),
    });
  }

  /** Starts a consumer that kafkajs stopped for good, with back-off. */
  async #recover(): Promise<void> {
    await withRetry(
      "restart consumer",
      this.#logger,
      async () => {
        await this.#consumer.disconnect().catch(() => {});
        await this.#consumer.connect();
        await this.#consumer.subscribe({
          topics: this.#topics,
          fromBeginning: this.#s.fromBeginning,
        });
        await this.#run();
      },
      { budgetMs: 0, stopped: () => this.#closed },
    );
    this.#logger.info("kafka consumer restarted");
  }

  async #start(): Promise<void> {
    this.#running = true;
    await this.#run();
    if (this.#s.idleExitMs > 0) {
      this.#idleTimer = setInterval(() => {
        if (
          this.#joined && this.#inflight === 0 && this.#queue.length === 0 &&
          Date.now() - this.#lastActivity >= this.#s.idleExitMs
        ) {
          this.#logger.info("kafka source idle; ending input", {
            idle_ms: Date.now() - this.#lastActivity,
          });
          this.close();
        }
      }, 100);
    }
  }

  /** Hands one partition batch to the runner, in chunks of `max_batch`. */
  async #eachBatch(p: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, isRunning, isStale } = p;
    const { topic, partition } = batch;
    const msgs = batch.messages;
    const tp = `${topic}/${partition}`;
    // Offsets only grow within a partition's batch, so what this process
    // handed out before is a prefix: skipped, and resolved so that
    // fetching moves on. Its commit is the business of the batches that
    // carried it (or of any later one: offsets are cumulative).
    let start = 0;
    const handed = this.#logReplaced(batch)
      ? undefined
      : this.#handedUpTo.get(tp);
    if (handed !== undefined) {
      while (start < msgs.length && BigInt(msgs[start].offset) < handed) {
        start++;
      }
      if (start > 0) {
        this.#skip(topic, partition, msgs[0].offset, msgs[start - 1].offset);
        this.#skipped += start;
        resolveOffset(msgs[start - 1].offset);
      }
    }
    for (let i = start; i < msgs.length; i += this.#s.maxBatch) {
      // Too much handed out and not committed: wait for the stage.
      while (
        this.#inflight >= this.#s.maxInflight && !this.#closed && isRunning()
      ) {
        await Promise.race([
          new Promise<void>((r) => this.#drained = r),
          sleep(this.#s.heartbeatMs),
        ]);
        try {
          await heartbeat();
        } catch (e) {
          // A rebalance is under way: stop handing out; what was handed out
          // and is not committed is delivered again after the rebalance.
          this.#logger.debug("kafka heartbeat while waiting", {
            error: errMessage(e),
          });
          return;
        }
      }
      if (this.#closed || !isRunning() || isStale()) return;
      const chunk = msgs.slice(i, i + this.#s.maxBatch);
      const lastOffset = chunk[chunk.length - 1].offset;
      const lines: string[] = [];
      const oversize: NonNullable<InputBatch["oversize"]> = [];
      const undecodable: NonNullable<InputBatch["undecodable"]> = [];
      // Index in `chunk` of each line, kept only once a message was left out.
      let chunkIndex: number[] | null = null;
      for (let k = 0; k < chunk.length; k++) {
        const v = chunk[k].value;
        const bad = (chunk[k] as unknown as FetchedRecord)[UNDECODABLE_BATCH];
        if (bad) {
          chunkIndex ??= Array.from({ length: lines.length }, (_, j) => j);
          undecodable.push(this.#undecodable(topic, partition, bad));
        } else if (v && v.length > this.#maxLineBytes) {
          chunkIndex ??= Array.from({ length: lines.length }, (_, j) => j);
          oversize.push({
            line: 0,
            bytes: v.length,
            head: v.subarray(0, 4096).toString("utf8"),
            position: `${topic}[${partition}]@${chunk[k].offset}`,
          });
        } else {
          chunkIndex?.push(k);
          lines.push(v ? v.toString("utf8") : "");
        }
      }
      const n = chunk.length;
      const next = BigInt(lastOffset) + 1n;
      const batch: InputBatch = {
        lines,
        oversize: oversize.length ? oversize : undefined,
        undecodable: undecodable.length ? undecodable : undefined,
        positionOf: (j) =>
          `${topic}[${partition}]@${
            chunk[chunkIndex ? chunkIndex[j] : j].offset
          }`,
        ...this.#acknowledger(
          topic,
          partition,
          next,
          n,
          this.#logGenerationOf(tp),
        ),
      };
      this.#queue.push({ batch, n });
      this.#handedUpTo.set(tp, next);
      this.#inflight += n;
      this.#lastActivity = Date.now();
      // Fetching moves on; committing is left to the batch's commit().
      resolveOffset(lastOffset);
      this.#wakeUp();
    }
  }

  /**
   * True when `batch` shows that its partition's log is not the one this
   * process read before, after forgetting what it knew of that log: the
   * offset handed out (so nothing of the new log is skipped as a replay),
   * the offset committed and any commit not yet answered (so the new log's
   * progress can be committed although its offsets are lower), with one
   * warning and `partitions_reset` in the stats. It happens when an
   * operator deletes and recreates a topic under a running stage (offsets
   * start again at 0; the broker drops the group's offsets with the
   * topic) or an unclean leader election truncates the log.
   *
   * Two signals, both sound in the direction that matters: a false alarm
   * hands over too much (a duplicate, which the stages absorb as they
   * absorb a new process's re-read), never too little:
   * - The high watermark is below the offset this process handed out: the
   *   log ends before records the stage already has, so it is shorter
   *   than the one read. This is what a recreation looks like when the new
   *   log is still shorter than what was read: kafkajs' fetch at its old
   *   position is OFFSET_OUT_OF_RANGE, it resets to the earliest offset
   *   (committing -2 for the group) and fetches from 0. (On a truncation
   *   the records below the cut are the old ones and are handed again. In
   *   a multi-broker cluster a new leader can report, for one replication
   *   round, a high watermark behind the old leader's; a replay fetched in
   *   that moment is handed again.)
   * - The batch starts below the offset this process itself committed: a
   *   consumer resumes from the group's committed offset, which only moves
   *   forward from ours, so records below it come from an offset reset
   *   (kafkajs' reset after OFFSET_OUT_OF_RANGE, or the group's offsets
   *   gone with the deleted topic).
   *
   * What still escapes (no signal reaches this process; kafkajs 2.2.4 does
   * not read topic ids, which would tell the two logs apart):
   * - A topic recreated and refilled past kafkajs' fetch position before
   *   its next fetch (e.g. deleted, gone for seconds, recreated and fed
   *   more records than were read). Seen with Kafka 3.9: while the topic
   *   is gone kafkajs retries its fetch (UNKNOWN_TOPIC_OR_PARTITION, at
   *   debug level; no CRASH, no GROUP_JOIN) and keeps its position; when
   *   the topic is back it fetches on from there, in range, and never
   *   fetches the new records below it: they are lost to this process
   *   (and its commits then skip them for the group).
   * - Likewise, if the group rejoins and resumes the new log from its
   *   start while nothing of the old log was committed by this process
   *   (a stage holding all its commits back) and the new log already
   *   reaches the offset handed out: its first records are skipped as a
   *   replay.
   * - With `from=latest` kafkajs resets an out-of-range position to the
   *   log's end, so records of the new log written before that fetch are
   *   never fetched.
   */
  #logReplaced(batch: EachBatchPayload["batch"]): boolean {
    const tp = `${batch.topic}/${batch.partition}`;
    const handed = this.#handedUpTo.get(tp);
    const committed = this.#committed.get(tp);
    if (
      (handed === undefined && committed === undefined) ||
      batch.messages.length === 0
    ) {
      return false;
    }
    const first = BigInt(batch.messages[0].offset);
    const highWatermark = BigInt(batch.highWatermark);
    let seen: string;
    if (handed !== undefined && highWatermark < handed) {
      seen = "the partition's log ends before the offset handed out";
    } else if (committed !== undefined && first < committed) {
      seen = "records below the offset this process committed";
    } else {
      return false;
    }
    this.#handedUpTo.delete(tp);
    this.#committed.delete(tp);
    this.#pending.delete(tp);
    this.#sending.delete(tp);
    this.#skipLogged.delete(tp);
    this.#logGeneration.set(tp, this.#logGenerationOf(tp) + 1);
    this.#partitionsReset++;
    this.#logger.warn(
      "kafka: partition's log is not the one read before (topic deleted and recreated, or truncated); reading it as new: nothing skipped, earlier offsets forgotten",
      {
        topic: batch.topic,
        partition: batch.partition,
        seen,
        handed_up_to: handed === undefined ? undefined : String(handed),
        committed: committed === undefined ? undefined : String(committed),
        first_offset: String(first),
        high_watermark: batch.highWatermark,
      },
    );
    return true;
  }

  /** Which log of partition `tp` this process reads now (0: the first). */
  #logGenerationOf(tp: string): number {
    return this.#logGeneration.get(tp) ?? 0;
  }

  /** False when a batch of log `generation` of `tp` is of a log since replaced. */
  #isCurrentLog(tp: string, generation: number): boolean {
    return this.#logGenerationOf(tp) === generation;
  }

  /**
   * Logs records fetched again that were handed out before: at info once
   * per partition and group session (an operator sees that the group
   * started over and its replay was skipped), at debug after that.
   */
  #skip(topic: string, partition: number, from: string, to: string): void {
    const tp = `${topic}/${partition}`;
    const fields = { topic, partition, from_offset: from, to_offset: to };
    if (this.#skipLogged.has(tp)) {
      this.#logger.debug("kafka: skipped records fetched again", fields);
      return;
    }
    this.#skipLogged.add(tp);
    this.#logger.info(
      "kafka: records fetched again from the group's committed offsets were handed to the stage before in this process; skipping them",
      { ...fields, handed_up_to: String(this.#handedUpTo.get(tp)) },
    );
  }

  /**
   * The dead-letter entry of a batch the consumer could not decode (see
   * kafka_batch_guard.ts), with a warning: its records are lost, and an
   * operator should look at the broker's disk or the producer.
   */
  #undecodable(
    topic: string,
    partition: number,
    bad: UndecodableBatch,
  ): NonNullable<InputBatch["undecodable"]>[number] {
    this.#undecodableBatches++;
    const fields = {
      topic,
      partition,
      first_offset: bad.firstOffset,
      last_offset: bad.lastOffset,
      records: bad.records,
      compression: bad.compression,
      error: bad.error,
    };
    this.#logger.warn(
      "kafka: a record batch could not be decoded; its records are lost and it becomes one dead letter",
      fields,
    );
    return {
      reason:
        `record batch of ${bad.records} records at offsets ${bad.firstOffset}-${bad.lastOffset} (${bad.bytes} bytes, ${bad.compression}) could not be decoded: ${bad.error}`,
      bytes: bad.bytes,
      position: `${topic}[${partition}]@${bad.firstOffset}-${bad.lastOffset}`,
    };
  }

  /** Figures for the run summary. */
  stats(): Record<string, unknown> {
    return {
      redelivered_skipped: this.#skipped,
      partitions_reset: this.#partitionsReset,
      undecodable_batches: this.#undecodableBatches,
    };
  }

  /**
   * A batch's `commit` and `release`, made apart from the batch's messages:
   * a stateful stage holds commits back for a while, and must not hold the
   * messages with them.
   */
  #acknowledger(
    topic: string,
    partition: number,
    next: bigint,
    n: number,
    generation: number,
  ): Pick<InputBatch, "commit" | "release"> {
    let released = false;
    let committed = false;
    // Output accepted: no longer in flight, so fetching may go on.
    const release = () => {
      if (released) return;
      released = true;
      this.#inflight -= n;
      this.#lastActivity = Date.now();
      const d = this.#drained;
      this.#drained = null;
      d?.();
    };
    return {
      release,
      // Everything made from the batch is acknowledged downstream: its
      // offsets may be committed. The commit itself runs in the background
      // (coalesced per partition, one request at a time), so the stage
      // does not wait a round trip per batch; a commit lost to a crash
      // only means redelivery. close() waits for it.
      commit: () => {
        if (committed) return Promise.resolve();
        committed = true;
        this.#requestCommit(topic, partition, next, generation);
        release();
        return Promise.resolve();
      },
    };
  }

  /**
   * Queues `offset` (the next one to read) of one partition for commit,
   * unless it belongs to a log of the partition that has since been
   * replaced (`generation`).
   */
  #requestCommit(
    topic: string,
    partition: number,
    offset: bigint,
    generation: number,
  ): void {
    const tp = `${topic}/${partition}`;
    if (!this.#assigned.has(tp)) return; // lost in a rebalance: redelivered
    if (!this.#isCurrentLog(tp, generation)) return;
    const known = this.#pending.get(tp)?.offset ?? this.#sending.get(tp) ??
      this.#committed.get(tp) ?? -1n;
    if (offset <= known) return;
    this.#pending.set(tp, { topic, partition, offset, generation });
    this.#kickCommits();
  }

  #kickCommits(): void {
    if (this.#commitLoop) return;
    this.#commitLoop = this.#runCommits().finally(() => {
      this.#commitLoop = null;
      if (this.#pending.size > 0) this.#kickCommits();
    });
  }

  /** Sends queued offsets until none are left. */
  async #runCommits(): Promise<void> {
    while (this.#pending.size > 0) {
      const todo = [...this.#pending.values()].filter((o) => {
        const tp = `${o.topic}/${o.partition}`;
        return this.#assigned.has(tp) && this.#isCurrentLog(tp, o.generation);
      });
      this.#pending.clear();
      if (todo.length === 0) continue;
      for (const o of todo) {
        this.#sending.set(`${o.topic}/${o.partition}`, o.offset);
      }
      try {
        await withRetry(
          "offset commit",
          this.#logger,
          async () => {
            try {
              await this.#consumer.commitOffsets(todo.map((o) => ({
                topic: o.topic,
                partition: o.partition,
                offset: o.offset.toString(),
              })));
            } catch (e) {
              if (LOST_OWNERSHIP.has(errType(e))) throw new LostOwnership(e);
              throw e;
            }
          },
          { budgetMs: 60000, stopped: () => this.#closed },
        );
        for (const o of todo) {
          const tp = `${o.topic}/${o.partition}`;
          // The log was replaced while this commit was on its way: the
          // offset is not the new log's progress (the next commit of the
          // new log, queued behind it, overwrites it on the broker).
          if (!this.#isCurrentLog(tp, o.generation)) continue;
          if ((this.#committed.get(tp) ?? -1n) < o.offset) {
            this.#committed.set(tp, o.offset);
          }
        }
      } catch (e) {
        // Not fatal: uncommitted records are delivered again (at-least-once),
        // and replays are harmless downstream (stable ids, idempotent sink).
        this.#logger.warn(
          "kafka offsets not committed; the records will be delivered again",
          {
            offsets: todo.map((o) => `${o.topic}/${o.partition}@${o.offset}`),
            error: errMessage(e),
          },
        );
      } finally {
        for (const o of todo) this.#sending.delete(`${o.topic}/${o.partition}`);
      }
    }
  }

  /**
   * `first` plus the batches queued behind it, up to `max_batch` records, as
   * one batch. kafkajs hands over one batch per partition and fetch, small
   * ones at low rates or with many partitions; the runner writes and waits
   * for each batch's output, so a queue of small batches would cost one
   * produce round trip each and fall behind. Its commit commits every part.
   */
  #coalesce(first: { batch: InputBatch; n: number }): InputBatch {
    const max = this.#s.maxBatch;
    if (this.#queue.length === 0 || first.n + this.#queue[0].n > max) {
      return first.batch;
    }
    const parts = [first.batch];
    let n = first.n;
    while (this.#queue.length > 0 && n + this.#queue[0].n <= max) {
      const q = this.#queue.shift()!;
      parts.push(q.batch);
      n += q.n;
    }
    const oversize = parts.flatMap((p) => p.oversize ?? []);
    return {
      lines: parts.flatMap((p) => p.lines),
      oversize: oversize.length ? oversize : undefined,
      positionOf: (i) => {
        for (const p of parts) {
          if (i < p.lines.length) return p.positionOf?.(i) ?? "";
          i -= p.lines.length;
        }
        return "";
      },
      ...acknowledgeAll(parts),
    };
  }

  async *batches(): AsyncIterable<InputBatch> {
    if (!this.#running && !this.#closed) await this.#start();
    while (true) {
      if (this.#failure) throw this.#failure;
      const next = this.#queue.shift();
      if (next) {
        yield this.#coalesce(next);
        continue;
      }
      if (this.#closed) return;
      await new Promise<void>((r) => this.#wake = r);
    }
  }

  /**
   * Stops handing out batches, gives the stage up to 5 s to acknowledge
   * the ones it holds, commits what was acknowledged, and leaves the group.
   * Every call returns the same promise, so a second caller (the runner's
   * clean-up after a signal) waits for the first.
   */
  close(): Promise<void> {
    return this.#closing ??= this.#close();
  }

  async #close(): Promise<void> {
    this.#closed = true;
    this.#unlistenTail();
    if (this.#idleTimer !== undefined) clearInterval(this.#idleTimer);
    this.#wakeUp();
    this.#drained?.();
    // Batches never handed out are simply not committed: redelivered.
    for (const q of this.#queue) this.#inflight -= q.n;
    this.#queue = [];
    const deadline = Date.now() + 5_000;
    while (this.#inflight > 0 && Date.now() < deadline) await sleep(25);
    while (this.#commitLoop) await this.#commitLoop;
    if (this.#skipped > 0) {
      this.#logger.info("kafka: records fetched again and skipped", {
        redelivered_skipped: this.#skipped,
      });
    }
    try {
      await this.#consumer.disconnect();
    } catch (e) {
      this.#logger.warn("kafka consumer disconnect failed", {
        error: errMessage(e),
      });
    }
    await this.#admin.disconnect().catch(() => {});
  }
}

/** One commit/release for coalesced parts, keeping none of their lines. */
function acknowledgeAll(
  parts: InputBatch[],
): Pick<InputBatch, "commit" | "release"> {
  const commits = parts.map((p) => p.commit);
  const releases = parts.map((p) => p.release);
  return {
    commit: () => Promise.all(commits.map((c) => c())).then(() => {}),
    release: () => releases.forEach((r) => r?.()),
  };
}

class LostOwnership extends Error {
  override name = "LostOwnership";
  readonly type = "LOST_OWNERSHIP";
  constructor(cause: unknown) {
    super(`partition no longer owned: ${errMessage(cause)}`, { cause });
  }
}
FATAL_TYPES.add("LOST_OWNERSHIP");

/** Records bound for one produce request, and who waits for its ack. */
interface ProduceRequest {
  byTopic: Map<string, Message[]>;
  bytes: number;
  count: number;
  done: Promise<void>;
  resolve: () => void;
  reject: (e: Error) => void;
}

function newRequest(): ProduceRequest {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const done = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  done.catch(() => {}); // reported through write(); never unhandled
  return { byTopic: new Map(), bytes: 0, count: 0, done, resolve, reject };
}

/** Producer writing each record type to its topic. */
class KafkaSink implements RecordSink {
  readonly describe: string;
  /** Forwarded records already sit on their own topic: not written. */
  readonly dropsForwarded = true;
  readonly #stage: Stage;
  /** Each topic's max.message.bytes, looked up when a record exceeds it. */
  readonly #limits = new Map<string, string>();
  readonly #s: KafkaSettings;
  readonly #logger: Logger;
  readonly #kafka: Kafka;
  #producer: Producer;
  #connected = false;
  #closed = false;
  #healthy = true;
  /** Produce requests waiting to be sent, oldest first. */
  #requests: ProduceRequest[] = [];
  /** The request being sent. */
  #inflight: ProduceRequest | null = null;
  #pumping = false;

  constructor(s: KafkaSettings, logger: Logger, stage: Stage) {
    this.#s = s;
    this.#stage = stage;
    this.#logger = logger.child({ kafka_out: "topics" });
    this.describe = `kafka ${Object.values(s.topics).join(",")}`;
    this.#kafka = new Kafka(clientConfig(s, this.#logger));
    this.#producer = this.#newProducer();
  }

  #newProducer(): Producer {
    return this.#kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
      retry: { initialRetryTime: 250, maxRetryTime: 5000, retries: 8 },
    });
  }

  async open(): Promise<void> {
    const stopped = () => this.#closed;
    const admin = this.#kafka.admin();
    try {
      await withRetry("connect", this.#logger, () => admin.connect(), {
        budgetMs: 0,
        stopped,
      });
      await withRetry(
        "create topics",
        this.#logger,
        () => ensureTopics(admin, Object.values(this.#s.topics), this.#s),
        { budgetMs: 0, stopped },
      );
    } finally {
      await admin.disconnect().catch(() => {});
    }
    await withRetry("connect", this.#logger, () => this.#producer.connect(), {
      budgetMs: 0,
      stopped,
    });
    this.#connected = true;
  }

  /**
   * Queues the records into produce requests and resolves when the broker
   * acknowledged all of them. Requests go out one at a time (idempotent
   * producer); writes arriving while one is in flight are coalesced into the
   * next, so many small concurrent writers (ingest's HTTP requests, a paced
   * load generator) share requests instead of each waiting a round trip.
   * Requests are cut at `max_request_bytes` (1 MiB by default), so no
   * partition's record batch outgrows a topic's max.message.bytes, even on
   * topics made elsewhere with Kafka's 1 MB default.
   */
  write(records: OutputRecord[]): Promise<void> {
    if (this.#closed) {
      return Promise.reject(new Error("kafka sink is closed"));
    }
    const limit = this.#s.maxRequestBytes;
    const topics = this.#s.topics;
    const waits = new Set<Promise<void>>();
    let req = this.#requests[this.#requests.length - 1];
    for (const r of records) {
      if (r.forwarded) continue;
      const topic = topics[r.record.record as RecordType];
      if (topic === undefined) continue;
      const size = r.line.length + 64;
      if (!req || (req.count > 0 && req.bytes + size > limit)) {
        req = newRequest();
        this.#requests.push(req);
      }
      let list = req.byTopic.get(topic);
      if (!list) req.byTopic.set(topic, list = []);
      list.push({ key: partitionKey(r.record), value: r.line });
      req.bytes += size;
      req.count++;
      waits.add(req.done);
    }
    if (waits.size === 0) return Promise.resolve();
    this.#pump();
    return Promise.all(waits).then(() => {});
  }

  /** Sends queued requests in order until none are left. */
  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      while (this.#requests.length > 0) {
        const req = this.#requests.shift()!;
        this.#inflight = req;
        try {
          await this.#send(req.byTopic);
          req.resolve();
        } catch (e) {
          req.reject(e as Error);
        }
      }
    } finally {
      this.#inflight = null;
      this.#pumping = false;
    }
  }

  /** Sends one request's worth, retrying until acknowledged. */
  async #send(
    byTopic: Map<string, Message[]>,
    deadLettering = false,
  ): Promise<void> {
    const topicMessages = [...byTopic].map(([topic, messages]) => ({
      topic,
      messages,
    }));
    const compression = PRODUCED_COMPRESSION[this.#s.compression];
    let failures = 0;
    try {
      await withRetry(
        "produce",
        this.#logger,
        async () => {
          try {
            await this.#producer.sendBatch({
              topicMessages,
              acks: -1,
              compression,
            });
            this.#healthy = true;
          } catch (e) {
            if (TOO_LARGE.has(errType(e))) throw e;
            this.#healthy = false;
            failures++;
            // After repeated failures start over with a fresh producer id:
            // an idempotent producer can be left with sequence state the
            // broker no longer accepts (e.g. after the broker lost its state).
            if (failures % 3 === 0 && !this.#closed) await this.#reconnect();
            throw e;
          }
        },
        { budgetMs: this.#s.retryMs, stopped: () => this.#closed },
      );
    } catch (e) {
      const cause = (e as Error).cause;
      const count = topicMessages.reduce((n, t) => n + t.messages.length, 0);
      if (!TOO_LARGE.has(errType(cause)) || (count < 2 && deadLettering)) {
        throw e;
      }
      if (count < 2) {
        // One record the topic cannot take: retrying would stall the stage
        // (and its partition) for good. It becomes a dead letter instead.
        const { topic, messages } = topicMessages[0];
        await this.#send(
          await this.#tooLarge(topic, messages[0], errMessage(cause)),
          true,
        );
        return;
      }
      // The topic accepts smaller batches than we sent: halve and go on.
      const halves = [new Map<string, Message[]>(), new Map()];
      let i = 0;
      for (const { topic, messages } of topicMessages) {
        for (const m of messages) {
          const h = halves[i++ < count / 2 ? 0 : 1];
          let l = h.get(topic);
          if (!l) h.set(topic, l = []);
          l.push(m);
        }
      }
      await this.#send(halves[0]);
      await this.#send(halves[1]);
    }
  }

  /** An `oversize` dead letter for a record `topic` refused as too large. */
  async #tooLarge(
    topic: string,
    m: Message,
    error: string,
  ): Promise<Map<string, Message[]>> {
    const value = String(m.value ?? "");
    const bytes = new TextEncoder().encode(value).length;
    const limit = await this.#topicLimit(topic);
    let rec: Record<string, unknown> = {};
    try {
      rec = JSON.parse(value);
    } catch { /* the dead letter still carries the head of the line */ }
    const type = typeof rec.record === "string" ? rec.record : "record";
    const dl = deadLetter(
      this.#stage,
      "oversize",
      `${type} of ${bytes} bytes exceeds topic ${topic}'s max.message.bytes (${
        limit ?? "unknown"
      }); not written`,
      value,
      {
        event_id: typeof rec.event_id === "string" ? rec.event_id : undefined,
        tenant: typeof rec.tenant === "string" && rec.tenant
          ? rec.tenant
          : undefined,
      },
    );
    this.#logger.warn("record too large for its topic; dead-lettered", {
      topic,
      record: type,
      bytes,
      max_message_bytes: limit,
      error,
    });
    return new Map([[this.#s.topics.dead_letter, [{
      key: partitionKey(dl),
      value: JSON.stringify(dl),
    }]]]);
  }

  /** `topic`'s max.message.bytes (undefined when it cannot be read). */
  async #topicLimit(topic: string): Promise<string | undefined> {
    const known = this.#limits.get(topic);
    if (known !== undefined) return known;
    const admin = this.#kafka.admin();
    try {
      await admin.connect();
      const r = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [{
          type: 2, // ConfigResourceTypes.TOPIC
          name: topic,
          configNames: ["max.message.bytes"],
        }],
      });
      const v = r.resources[0]?.configEntries.find((c) =>
        c.configName === "max.message.bytes"
      )?.configValue;
      if (v !== undefined) this.#limits.set(topic, v);
      return v;
    } catch {
      return undefined;
    } finally {
      await admin.disconnect().catch(() => {});
    }
  }

  async #reconnect(): Promise<void> {
    const old = this.#producer;
    await old.disconnect().catch(() => {});
    this.#producer = this.#newProducer();
    try {
      await this.#producer.connect();
    } catch {
      // next attempt retries
    }
  }

  /** Resolves when every queued request has been acknowledged (or failed). */
  async flush(): Promise<void> {
    const all = [this.#inflight, ...this.#requests].filter((r) => r !== null)
      .map((r) => r!.done);
    await Promise.allSettled(all);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    await this.flush();
    this.#closed = true;
    this.#connected = false;
    await this.#producer.disconnect().catch(() => {});
  }

  ready(): boolean {
    return this.#connected && this.#healthy && !this.#closed;
  }
}

/**
 * Opens the topic(s) in the URI path (`/events.enriched,alerts`) as a
 * consumer-group source.
 */
export async function openKafkaSource(
  url: URL,
  opts: AdapterOptions,
): Promise<RecordSource> {
  const s = kafkaSettings(url, opts.stage, opts.defaultGroup);
  const topics = s.topic.split(",").map((t) => t.trim()).filter(Boolean);
  if (topics.length === 0) {
    throw new KafkaConfigError(
      `--in ${url.href}: name the topic to read, e.g. kafka://${
        s.brokers[0]
      }/${s.topics.raw_event}`,
    );
  }
  const source = new KafkaSource(
    s,
    topics,
    opts.logger,
    opts.maxLineBytes ?? 1 << 20,
  );
  await source.open();
  opts.logger.info("kafka source ready", {
    brokers: s.brokers,
    topics,
    group: s.groupId,
  });
  return source;
}

/** Opens the record-type topics (URI path: empty or a prefix) as a sink. */
export async function openKafkaSink(
  url: URL,
  opts: AdapterOptions,
): Promise<RecordSink> {
  const s = kafkaSettings(url, opts.stage, opts.defaultGroup);
  const sink = new KafkaSink(s, opts.logger, opts.stage);
  await sink.open();
  opts.logger.info("kafka sink ready", {
    brokers: s.brokers,
    topics: s.topics,
  });
  return sink;
}
