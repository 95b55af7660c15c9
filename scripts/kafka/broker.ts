/**
 * A private single-node Kafka broker for tests and benchmarks, started and
 * stopped through `scripts/kafka.sh` on free loopback ports with its own data
 * directory, so several can run in parallel.
 *
 * When Java or the Kafka jars cannot be had, {@link KAFKA_SKIP} holds the
 * reason and {@link kafkaTest} registers tests as ignored with that reason in
 * their name — never as passed.
 */
import { createLogger } from "../../stages/shared/log.ts";
import type { Logger } from "../../stages/shared/log.ts";

const SCRIPT = new URL("../kafka.sh", import.meta.url).pathname;
const dec = new TextDecoder();

async function sh(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; out: string; err: string }> {
  const r = await new Deno.Command("bash", {
    args: [SCRIPT, ...args],
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: r.code, out: dec.decode(r.stdout), err: dec.decode(r.stderr) };
}

async function javaMissing(): Promise<string | null> {
  try {
    const r = await new Deno.Command("java", {
      args: ["-version"],
      stdout: "null",
      stderr: "null",
    }).output();
    return r.code === 0 ? null : "java -version failed";
  } catch {
    return "java not installed";
  }
}

/**
 * Why the Kafka tests cannot run here, or null when they can. Fetches the
 * jars once (cached) so that start-up inside a test is fast.
 */
async function skipReason(): Promise<string | null> {
  const noJava = await javaMissing();
  if (noJava) return noJava;
  const r = await sh(["fetch"]);
  if (r.code !== 0) {
    const last = r.err.trim().split("\n").pop() ?? "fetch failed";
    return `Kafka jars unavailable: ${last.replace(/^kafka\.sh: error: /, "")}`
      .slice(0, 160);
  }
  return null;
}

/** Null when a broker can run here; otherwise why not. */
export const KAFKA_SKIP: string | null = await skipReason();

/** Registers a Kafka test, ignored (with the reason in its name) when no broker can run. */
export function kafkaTest(name: string, fn: () => Promise<void>): void {
  Deno.test({
    name: KAFKA_SKIP ? `${name} (skipped: ${KAFKA_SKIP})` : name,
    ignore: KAFKA_SKIP !== null,
    // kafkajs keeps timers and sockets that outlive a single test.
    sanitizeOps: false,
    sanitizeResources: false,
    fn,
  });
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** A running private broker. */
export interface TestBroker {
  /** `127.0.0.1:PORT` */
  readonly address: string;
  readonly port: number;
  readonly dataDir: string;
  /** `kafka://127.0.0.1:PORT/<path>` */
  uri(path?: string, params?: Record<string, string | number>): string;
  /** Starts it (again); resolves when it answers Kafka requests. */
  start(): Promise<void>;
  /** Stops it cleanly. */
  stop(): Promise<void>;
  /** Stops it and removes its data directory. */
  destroy(): Promise<void>;
}

/** Starts a private broker on free loopback ports. */
export async function startBroker(): Promise<TestBroker> {
  const port = freePort();
  let controller = freePort();
  while (controller === port) controller = freePort();
  const dataDir = await Deno.makeTempDir({ prefix: "sentinel-kafka-" });
  const flags = [
    "--port",
    String(port),
    "--controller-port",
    String(controller),
    "--data",
    dataDir,
  ];
  const broker: TestBroker = {
    address: `127.0.0.1:${port}`,
    port,
    dataDir,
    uri(path = "", params = {}) {
      const q = new URLSearchParams(
        Object.entries(params).map(([k, v]) => [k, String(v)]),
      ).toString();
      return `kafka://127.0.0.1:${port}/${path}${q ? `?${q}` : ""}`;
    },
    async start() {
      const r = await sh(["start", ...flags, "--owner", String(Deno.pid)]);
      if (r.code !== 0) {
        throw new Error(`kafka.sh start failed (${r.code}):\n${r.err}`);
      }
    },
    async stop() {
      const r = await sh(["stop", ...flags]);
      if (r.code !== 0) {
        throw new Error(`kafka.sh stop failed (${r.code}):\n${r.err}`);
      }
    },
    async destroy() {
      await broker.stop().catch(() => {});
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    },
  };
  await broker.start();
  return broker;
}

/** A quiet logger for adapters under test (warnings still show). */
export function testLogger(stage = "kafka-test"): Logger {
  return createLogger(stage, "warn");
}

/** Polls `cond` until true or `ms` pass; throws with `what` on timeout. */
export async function waitFor(
  what: string,
  cond: () => boolean | Promise<boolean>,
  ms = 30000,
): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
