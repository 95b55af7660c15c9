/**
 * Record stores behind the sink: the embedded chDB engine (`chdb:DIR`), a
 * ClickHouse server over HTTP (`http(s)://user:pass@host:8123/database`)
 * and NDJSON (`-`, `file:PATH`). One interface, chosen from `--out`.
 */
import type { RecordType } from "../shared/records.ts";
import { openSink } from "../shared/io/mod.ts";
import type { RecordSink } from "../shared/io/types.ts";
import type { Logger } from "../shared/log.ts";
import { UsageError } from "../shared/cli.ts";
import {
  DEFAULT_DATABASE,
  readInitSql,
  type RetentionDays,
  schemaStatements,
} from "./schema.ts";

/** The tables records land in. */
export type TableName = "events" | "alerts" | "dead_letters" | "raw_events";

/** Which table each record type is stored in. */
export const TABLE_OF: Record<RecordType, TableName> = {
  enriched_event: "events",
  alert: "alerts",
  dead_letter: "dead_letters",
  raw_event: "raw_events",
};

/** One record on its way to a store. */
export interface PendingRow {
  /** The record as received (NDJSON output writes this). */
  line: string;
  /** The JSONEachRow row for the database (the line plus sink-set columns). */
  row: string;
}

/** How a failed store operation should be handled. */
export type FailureKind =
  /** The data itself was refused (bad value, violated constraint): dead-letter it. */
  | "rejected"
  /** The store is unreachable or overloaded: retry with back-off. */
  | "transient"
  /** Misconfiguration (credentials, missing table): stop. */
  | "fatal";

/** A store failure with its ClickHouse error code, when there is one. */
export class StoreError extends Error {
  override name = "StoreError";
  constructor(
    message: string,
    readonly kind: FailureKind,
    readonly code?: number,
  ) {
    super(message);
  }
}

// ClickHouse error codes that mean "this data cannot be stored as is".
const DATA_ERROR_CODES = new Set([
  6, // CANNOT_PARSE_TEXT
  26, // CANNOT_PARSE_QUOTED_STRING
  27, // CANNOT_PARSE_INPUT_ASSERTION_FAILED
  38, // CANNOT_PARSE_DATE
  41, // CANNOT_PARSE_DATETIME
  53, // TYPE_MISMATCH
  69, // ARGUMENT_OUT_OF_BOUND
  70, // CANNOT_CONVERT_TYPE
  72, // CANNOT_PARSE_NUMBER
  117, // INCORRECT_DATA
  131, // TOO_LARGE_STRING_SIZE
  321, // VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE
  349, // CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN
  376, // CANNOT_PARSE_UUID
  441, // CANNOT_PARSE_DOMAIN_VALUE_FROM_STRING
  467, // CANNOT_PARSE_BOOL
  469, // VIOLATED_CONSTRAINT
  675, // CANNOT_PARSE_IPV4
  676, // CANNOT_PARSE_IPV6
  691, // UNKNOWN_ELEMENT_OF_ENUM
]);

// Codes that retrying cannot fix.
const FATAL_CODES = new Set([
  60, // UNKNOWN_TABLE
  81, // UNKNOWN_DATABASE
  192, // UNKNOWN_USER
  193, // WRONG_PASSWORD
  194, // REQUIRED_PASSWORD
  497, // ACCESS_DENIED
  516, // AUTHENTICATION_FAILED
]);

const CODE_RE = /Code: (\d+)\. /;

/** Classifies a ClickHouse error code. */
export function classifyCode(code: number | undefined): FailureKind {
  if (code === undefined) return "transient";
  if (DATA_ERROR_CODES.has(code)) return "rejected";
  if (FATAL_CODES.has(code)) return "fatal";
  return "transient";
}

/** Wraps anything thrown by a store client into a {@link StoreError}. */
export function toStoreError(e: unknown): StoreError {
  if (e instanceof StoreError) return e;
  const err = e as {
    message?: string;
    code?: unknown;
    clickhouseCode?: unknown;
  };
  const message = cleanMessage(String(err?.message ?? e));
  let code: number | undefined;
  if (typeof err?.clickhouseCode === "number") code = err.clickhouseCode;
  else if (typeof err?.code === "string" && /^\d+$/.test(err.code)) {
    code = Number(err.code);
  } else {
    const m = CODE_RE.exec(message);
    if (m) code = Number(m[1]);
  }
  return new StoreError(message, classifyCode(code), code);
}

function cleanMessage(m: string): string {
  return m.replace(/^Query failed: /, "").replace(/\s+/g, " ").trim().slice(
    0,
    2000,
  );
}

/** A place the sink writes to and queries run against. */
export interface RecordStore {
  /** e.g. "chdb:./sentinel-data" (credentials never included). */
  readonly describe: string;
  readonly kind: "chdb" | "clickhouse" | "ndjson";
  /** True when the store holds tables (not NDJSON). */
  readonly queryable: boolean;
  /** Applies init.sql (idempotent). */
  applySchema(retention?: RetentionDays): Promise<void>;
  /** Stores rows in one table; throws {@link StoreError}. */
  insert(table: TableName, rows: readonly PendingRow[]): Promise<void>;
  /** Runs SQL and returns the output in a ClickHouse `format`. */
  query(sql: string, format: string): Promise<string>;
  close(): Promise<void>;
}

/** Settings every JSONEachRow insert uses, on both the embedded and the server path. */
export const INSERT_SETTINGS: Record<string, string | number> = {
  // `record` and other routing keys are not columns.
  input_format_skip_unknown_fields: 1,
  // RFC 3339 timestamps with `Z`.
  date_time_input_format: "best_effort",
  // A JSON-object payload is kept as its original text.
  input_format_json_read_objects_as_strings: 1,
  input_format_json_named_tuples_as_objects: 1,
  input_format_json_defaults_for_missing_elements_in_named_tuple: 1,
};

function joinRows(rows: readonly PendingRow[]): string {
  let text = "";
  for (let i = 0; i < rows.length; i++) text += rows[i].row + "\n";
  return text;
}

/** Options for {@link openStore}. */
export interface StoreOptions {
  logger: Logger;
  user?: string;
  password?: string;
  database?: string;
  /** Server request timeout. @default 30000 */
  requestTimeoutMs?: number;
}

/** The default embedded store. */
export const DEFAULT_STORE_URI = "chdb:./sentinel-data";

/** Opens the store named by `uri` (`chdb:DIR`, `http(s)://…`, `-`, `file:PATH`). */
export async function openStore(
  uri: string,
  opts: StoreOptions,
): Promise<RecordStore> {
  if (uri.startsWith("chdb:")) {
    const dir = uri.slice("chdb:".length);
    if (!dir) {
      throw new UsageError(
        `'${uri}': chdb: needs a directory, e.g. chdb:./sentinel-data`,
      );
    }
    return await ChdbStore.open(dir, opts.database ?? DEFAULT_DATABASE);
  }
  if (uri.startsWith("http://") || uri.startsWith("https://")) {
    return await ClickHouseServerStore.open(uri, opts);
  }
  if (uri === "-" || uri.startsWith("file:")) {
    return new NdjsonStore(
      await openSink(uri, { stage: "sink", logger: opts.logger }),
    );
  }
  throw new UsageError(
    `--out: unsupported store '${uri}' (expected chdb:DIR, http(s)://user:pass@host:8123/database, - or file:PATH)`,
  );
}

type ChdbSession = {
  query(sql: string, format?: string): string;
  queryAsync(
    sql: string,
    opts?: { format?: string },
  ): Promise<{ text(): string }>;
  insert(p: {
    table: string;
    values: string;
    format: "JSONEachRow";
    settings?: Record<string, string | number>;
  }): Promise<unknown>;
  close(): void;
};

/** The embedded ClickHouse engine (npm `chdb`), one data directory per process. */
export class ChdbStore implements RecordStore {
  readonly kind = "chdb";
  readonly queryable = true;
  readonly describe: string;
  readonly #session: ChdbSession;
  readonly #db: string;

  private constructor(describe: string, session: ChdbSession, db: string) {
    this.describe = describe;
    this.#session = session;
    this.#db = db;
  }

  /** Opens (creating if needed) the store in `dir`. */
  static async open(
    dir: string,
    database = DEFAULT_DATABASE,
  ): Promise<ChdbStore> {
    // Loaded lazily: compiled binaries cannot embed the native engine, and
    // stdio/server runs should not pay for loading it.
    const { Session } = await import("chdb");
    await Deno.mkdir(dir, { recursive: true });
    const session = new Session(dir) as unknown as ChdbSession;
    return new ChdbStore(`chdb:${dir}`, session, database);
  }

  async applySchema(retention?: RetentionDays): Promise<void> {
    for (
      const st of schemaStatements(await readInitSql(), {
        database: this.#db,
        retention,
      })
    ) {
      try {
        await this.#session.queryAsync(st);
      } catch (e) {
        throw toStoreError(e);
      }
    }
  }

  async insert(table: TableName, rows: readonly PendingRow[]): Promise<void> {
    if (rows.length === 0) return;
    try {
      await this.#session.insert({
        table: `${this.#db}.${table}`,
        values: joinRows(rows),
        format: "JSONEachRow",
        settings: INSERT_SETTINGS,
      });
    } catch (e) {
      throw toStoreError(e);
    }
  }

  async query(sql: string, format: string): Promise<string> {
    try {
      return (await this.#session.queryAsync(sql, { format })).text();
    } catch (e) {
      throw toStoreError(e);
    }
  }

  close(): Promise<void> {
    this.#session.close();
    return Promise.resolve();
  }
}

type CHClient = import("@clickhouse/client").ClickHouseClient;

/** A ClickHouse server through `@clickhouse/client` (HTTP interface). */
export class ClickHouseServerStore implements RecordStore {
  readonly kind = "clickhouse";
  readonly queryable = true;
  readonly describe: string;
  readonly #client: CHClient;
  readonly #db: string;

  private constructor(describe: string, client: CHClient, db: string) {
    this.describe = describe;
    this.#client = client;
    this.#db = db;
  }

  /** Connects to `uri`; user, password and database from the URI or `opts` (flags win). */
  static async open(
    uri: string,
    opts: StoreOptions,
  ): Promise<ClickHouseServerStore> {
    let url: URL;
    try {
      url = new URL(uri);
    } catch {
      throw new UsageError(`--out: '${uri}' is not a valid URL`);
    }
    const user = opts.user ??
      (url.username ? decodeURIComponent(url.username) : "default");
    const password = opts.password ?? decodeURIComponent(url.password);
    const fromPath = url.pathname.replace(/^\/+|\/+$/g, "");
    const db = opts.database ?? (fromPath || DEFAULT_DATABASE);
    const { createClient, ClickHouseLogLevel } = await import(
      "@clickhouse/client"
    );
    const client = createClient({
      url: `${url.protocol}//${url.host}`,
      username: user,
      password,
      request_timeout: opts.requestTimeoutMs ?? 30_000,
      // The sink retries itself, with back-off and commit-after-insert.
      keep_alive: { enabled: true },
      application: "sentinel-sink",
      // Failures surface as StoreErrors and are logged once by the sink.
      log: { level: ClickHouseLogLevel.OFF },
    });
    return new ClickHouseServerStore(
      `${url.protocol}//${url.host}/${db}`,
      client,
      db,
    );
  }

  async applySchema(retention?: RetentionDays): Promise<void> {
    for (
      const st of schemaStatements(await readInitSql(), {
        database: this.#db,
        retention,
      })
    ) {
      try {
        await this.#client.command({ query: st });
      } catch (e) {
        throw toStoreError(e);
      }
    }
  }

  async insert(table: TableName, rows: readonly PendingRow[]): Promise<void> {
    if (rows.length === 0) return;
    const { Readable } = await import("node:stream");
    const body = Readable.from([new TextEncoder().encode(joinRows(rows))], {
      objectMode: false,
    });
    try {
      const r = await this.#client.exec({
        query: `INSERT INTO ${this.#db}.${table} FORMAT JSONEachRow`,
        values: body,
        clickhouse_settings: INSERT_SETTINGS,
      });
      // Drain the (empty) response so the socket returns to the pool.
      for await (const _ of r.stream) { /* nothing */ }
    } catch (e) {
      throw toStoreError(e);
    }
  }

  async query(sql: string, format: string): Promise<string> {
    try {
      const r = await this.#client.exec({
        query: `${sql.replace(/;\s*$/, "")}\nFORMAT ${format}`,
      });
      const chunks: Uint8Array[] = [];
      for await (const c of r.stream) chunks.push(c as Uint8Array);
      return new TextDecoder().decode(concatAll(chunks));
    } catch (e) {
      throw toStoreError(e);
    }
  }

  async close(): Promise<void> {
    await this.#client.close();
  }
}

function concatAll(chunks: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const c of chunks) n += c.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

/** NDJSON out (`-` or `file:PATH`): records are written unchanged. */
export class NdjsonStore implements RecordStore {
  readonly kind = "ndjson";
  readonly queryable = false;
  readonly describe: string;
  readonly #sink: RecordSink;

  constructor(sink: RecordSink) {
    this.#sink = sink;
    this.describe = sink.describe;
  }

  applySchema(): Promise<void> {
    return Promise.resolve();
  }

  async insert(_table: TableName, rows: readonly PendingRow[]): Promise<void> {
    const out = this.#sink as RecordSink & {
      writeText?(t: string): Promise<void>;
    };
    let text = "";
    for (let i = 0; i < rows.length; i++) text += rows[i].line + "\n";
    if (out.writeText) await out.writeText(text);
    else {
      await out.write(rows.map((r) => ({
        record: JSON.parse(r.line),
        line: r.line,
        forwarded: true,
      })));
    }
  }

  query(): Promise<string> {
    return Promise.reject(
      new UsageError(
        `${this.describe} is NDJSON output; queries need a chdb: or http(s): store`,
      ),
    );
  }

  async close(): Promise<void> {
    await this.#sink.close();
  }
}
