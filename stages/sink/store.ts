/**
 * Record stores behind the sink: the embedded chDB engine (`chdb:DIR`), a
 * ClickHouse server over HTTP (`http(s)://user:pass@host:8123/database`)
 * and NDJSON (`-`, `file:PATH`). One interface, chosen from `--out`.
 */
import { Buffer } from "node:buffer";
import { concatBytes } from "../shared/bytes.ts";
import type { AnyRecord, RecordType } from "../shared/records.ts";
import { openSink } from "../shared/io/mod.ts";
import type { RecordSink } from "../shared/io/types.ts";
import type { Logger } from "../shared/log.ts";
import { UsageError } from "../shared/cli.ts";
import {
  ByteWriter,
  type ColumnType,
  compileTable,
  type RecordEncoder,
  RefusedValue,
  wellFormedJsonText,
} from "./row_binary.ts";
import {
  applySchema as applySchemaTo,
  DEFAULT_DATABASE,
  type RetentionDays,
} from "./schema.ts";
import { sqlIdentifier, sqlString } from "./sql.ts";

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
  /**
   * The decoded record (`line` parsed); null once the writer encoded it for
   * the store (then `buf`, `start`, `end` locate its bytes), so that the
   * decoded object dies young instead of waiting in the batch.
   */
  record: AnyRecord | null;
  /** The buffer holding this row's RowBinary encoding, if it was encoded. */
  buf?: ByteWriter | null;
  start?: number;
  end?: number;
  /** For encoded events: the category (the summary counts it). */
  note?: string;
  /** The input line the record was read from, when known (for dead letters). */
  at?: number;
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
  25, // CANNOT_PARSE_ESCAPE_SEQUENCE (e.g. a lone surrogate escape in JSON)
  26, // CANNOT_PARSE_QUOTED_STRING
  27, // CANNOT_PARSE_INPUT_ASSERTION_FAILED
  33, // CANNOT_READ_ALL_DATA
  38, // CANNOT_PARSE_DATE
  41, // CANNOT_PARSE_DATETIME
  43, // ILLEGAL_TYPE_OF_ARGUMENT
  53, // TYPE_MISMATCH
  69, // ARGUMENT_OUT_OF_BOUND
  70, // CANNOT_CONVERT_TYPE
  72, // CANNOT_PARSE_NUMBER
  117, // INCORRECT_DATA
  128, // TOO_LARGE_ARRAY_SIZE
  130, // CANNOT_READ_ARRAY_FROM_TEXT
  131, // TOO_LARGE_STRING_SIZE
  190, // SIZES_OF_ARRAYS_DONT_MATCH
  306, // TOO_DEEP_RECURSION
  321, // VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE
  349, // CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN
  376, // CANNOT_PARSE_UUID
  407, // DECIMAL_OVERFLOW
  441, // CANNOT_PARSE_DOMAIN_VALUE_FROM_STRING
  467, // CANNOT_PARSE_BOOL
  469, // VIOLATED_CONSTRAINT
  632, // UNEXPECTED_DATA_AFTER_PARSED_VALUE (e.g. an IPv6 zone, fe80::1%eth0)
  675, // CANNOT_PARSE_IPV4
  676, // CANNOT_PARSE_IPV6
  691, // UNKNOWN_ELEMENT_OF_ENUM
]);

// Codes that retrying cannot fix.
const FATAL_CODES = new Set([
  60, // UNKNOWN_TABLE
  81, // UNKNOWN_DATABASE
  164, // READONLY (the user may not write)
  192, // UNKNOWN_USER
  193, // WRONG_PASSWORD
  194, // REQUIRED_PASSWORD
  497, // ACCESS_DENIED
  516, // AUTHENTICATION_FAILED
]);

// Codes of a server that is up but cannot take the insert now (overload,
// resources, replication, its own I/O): the same rows succeed later.
const TRANSIENT_CODES = new Set([
  23, // CANNOT_READ_FROM_ISTREAM
  24, // CANNOT_WRITE_TO_OSTREAM
  74, // CANNOT_READ_FROM_FILE_DESCRIPTOR
  75, // CANNOT_WRITE_TO_FILE_DESCRIPTOR
  76, // CANNOT_OPEN_FILE (chDB: the spool file)
  107, // FILE_DOESNT_EXIST (chDB: the spool file)
  159, // TIMEOUT_EXCEEDED
  160, // TOO_SLOW
  202, // TOO_MANY_SIMULTANEOUS_QUERIES
  203, // NO_FREE_CONNECTION
  209, // SOCKET_TIMEOUT
  210, // NETWORK_ERROR
  225, // NO_ZOOKEEPER
  236, // ABORTED
  241, // MEMORY_LIMIT_EXCEEDED
  242, // TABLE_IS_READ_ONLY (a replica without its coordinator)
  243, // NOT_ENOUGH_SPACE
  252, // TOO_MANY_PARTS
  285, // TOO_FEW_LIVE_REPLICAS
  319, // UNKNOWN_STATUS_OF_INSERT
  394, // QUERY_WAS_CANCELLED
  425, // SYSTEM_ERROR
  439, // CANNOT_SCHEDULE_TASK
  473, // DEADLOCK_AVOIDED
  735, // QUERY_WAS_CANCELLED_BY_CLIENT
  999, // KEEPER_EXCEPTION
  1000, // POCO_EXCEPTION
]);

const CODE_RE = /Code: (\d+)\. /;

/**
 * Classifies a ClickHouse error code.
 *
 * No code means no answer from the database (connection refused or reset,
 * timeout, a proxy's 5xx): an outage, retried with back-off. A code means
 * the database answered and refused this insert: unless the code is a known
 * overload/resource condition (retried) or a configuration error (fatal),
 * the refusal is about the data. It is then never retried as is: the writer
 * bisects the batch, stores what it can and dead-letters the rows still
 * refused alone, so no value can stop the sink or be redelivered forever.
 * (Should a refusal not about the data slip through as "rejected", the
 * halves retried by bisecting succeed; and a database that refuses the
 * sink's own dead letters ends the run, unacknowledged.)
 */
export function classifyCode(code: number | undefined): FailureKind {
  if (code === undefined) return "transient";
  if (DATA_ERROR_CODES.has(code)) return "rejected";
  if (FATAL_CODES.has(code)) return "fatal";
  if (TRANSIENT_CODES.has(code)) return "transient";
  return "rejected";
}

/**
 * TLS failures of an https:// server's certificate (node's codes): no retry
 * makes them pass, so they stop the sink at once, saying what helps.
 */
const CERTIFICATE_ERRORS = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

/** Wraps anything thrown by a store client into a {@link StoreError}. */
export function toStoreError(e: unknown): StoreError {
  if (e instanceof StoreError) return e;
  const err = e as {
    message?: string;
    code?: unknown;
    clickhouseCode?: unknown;
  };
  const message = cleanMessage(String(err?.message ?? e));
  if (err?.code === "ERR_TLS_CERT_ALTNAME_INVALID") {
    return new StoreError(
      `${message}: the server's TLS certificate does not name the host in the URL; connect by a name the certificate lists`,
      "fatal",
    );
  }
  if (typeof err?.code === "string" && CERTIFICATE_ERRORS.has(err.code)) {
    return new StoreError(
      `${message} (${err.code}): the server's TLS certificate is not trusted; if a private CA issued it, give that CA with --ca FILE`,
      "fatal",
    );
  }
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
  /**
   * Applies init.sql (idempotent) and upgrades what an earlier init.sql or
   * other retention flags created (see schema.ts `applySchema`).
   */
  applySchema(retention?: RetentionDays, logger?: Logger): Promise<void>;
  /** Stores rows in one table; throws {@link StoreError}. */
  insert(table: TableName, rows: readonly PendingRow[]): Promise<void>;
  /**
   * The RowBinary encoder this store accepts for `table` (rows then arrive
   * with `buf`/`start`/`end` set and `record` null), or null.
   */
  encoderFor?(table: TableName): Promise<RecordEncoder | null>;
  /**
   * Runs SQL and returns the output in a ClickHouse `format`, with output
   * `settings` for this query only (one statement; given settings, no
   * FORMAT clause of its own).
   */
  query(
    sql: string,
    format: string,
    settings?: Record<string, number>,
  ): Promise<string>;
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
  // Every row has a distinct id: collapsing replays within one insert block
  // (ReplacingMergeTree's merge-on-insert, ~4 µs/row on events) finds
  // nothing; replays are collapsed by background merges and FINAL.
  optimize_on_insert: 0,
};

/**
 * The JSONEachRow row for a record: its line, plus the columns the sink
 * sets. An escaped lone surrogate (`"\ud800"`, valid JSON that ClickHouse
 * refuses in some columns and stores as invalid UTF-8 in others) becomes
 * U+FFFD, as the RowBinary path stores it (see {@link wellFormedJsonText}).
 */
export function rowFor(record: AnyRecord, line: string): string {
  // The retention counts from `inserted_at`, which only the database sets:
  // a record that carries one (possible with --trust-input) does not pick
  // its own expiry (in the past, it would vanish at insert).
  if ((record as { inserted_at?: unknown }).inserted_at !== undefined) {
    const { inserted_at: _, ...rest } = record as Record<string, unknown>;
    line = JSON.stringify(rest);
  }
  if (line.indexOf("\\u") >= 0) line = wellFormedJsonText(line);
  if (
    (record.record === "enriched_event" || record.record === "raw_event") &&
    typeof record.payload === "object"
  ) {
    return line.slice(0, line.lastIndexOf("}")) + ',"payload_type":"json"}';
  }
  return line;
}

function joinRows(rows: readonly PendingRow[]): string {
  let text = "";
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    text += rowFor(r.record!, r.line) + "\n";
  }
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
  /**
   * Refuse (UsageError) a chdb: directory that holds no store instead of
   * creating one there: a query cannot find anything in a new store.
   */
  mustExist?: boolean;
  /**
   * A CA certificate file (PEM) an https:// server's certificate may chain
   * to, besides the system's (a self-hosted ClickHouse behind a private CA).
   */
  caFile?: string;
}

/** The default embedded store. */
export const DEFAULT_STORE_URI = "chdb:./sentinel-data";

/** Opens the store named by `uri` (`chdb:DIR`, `http(s)://…`, `-`, `file:PATH`). */
export async function openStore(
  uri: string,
  opts: StoreOptions,
): Promise<RecordStore> {
  if (opts.caFile !== undefined && !uri.startsWith("https://")) {
    throw new UsageError(
      `--ca applies to an https:// ClickHouse server only, not '${uri}'`,
    );
  }
  if (uri.startsWith("chdb:")) {
    const dir = uri.slice("chdb:".length);
    if (!dir) {
      throw new UsageError(
        `'${uri}': chdb: needs a directory, e.g. chdb:./sentinel-data`,
      );
    }
    return await ChdbStore.open(
      dir,
      sqlIdentifier(opts.database ?? DEFAULT_DATABASE),
      { mustExist: opts.mustExist },
    );
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

/** Least time between two purges of chDB's freed memory (see `#purge`). */
const PURGE_INTERVAL_MS = 1000;

/** Tables whose rows go to chDB as RowBinary (the high-volume ones). */
const BINARY_TABLES: ReadonlySet<TableName> = new Set(["events", "raw_events"]);

/** Settings of the RowBinary inserts (see {@link INSERT_SETTINGS}). */
const BINARY_SETTINGS = "optimize_on_insert = 0";

/** {@link INSERT_SETTINGS} as a SETTINGS clause. */
const JSON_FILE_SETTINGS = Object.entries(INSERT_SETTINGS).map(([k, v]) =>
  `${k} = ${typeof v === "number" ? v : `'${v}'`}`
).join(", ");

/**
 * The embedded ClickHouse engine (npm `chdb`), one data directory per process.
 *
 * Enriched and raw events are inserted as RowBinary encoded in JS from the
 * already decoded records (see row_binary.ts): ClickHouse then parses nothing.
 * chDB's insert API takes text formats only, so the bytes go through a file
 * in a private temp directory (tmpfs when there is one) and
 * `INSERT … SELECT * FROM file(…, RowBinary, …)`. (Not `INSERT … FROM
 * INFILE`: chDB then reads the insert data from the process's stdin when it
 * is a pipe, which is the sink's own input.) Records the encoder declines,
 * and the other tables, use JSONEachRow.
 */
export class ChdbStore implements RecordStore {
  readonly kind = "chdb";
  readonly queryable = true;
  readonly describe: string;
  readonly #session: ChdbSession;
  readonly #db: string;
  readonly #encoders = new Map<TableName, RecordEncoder | null>();
  readonly #writer = new ByteWriter(1 << 20);
  #writerBusy = false;
  readonly #stored = new WeakSet<PendingRow>();
  #partial = false;
  #spool: string | undefined;
  #files = 0;
  #canPurge = true;
  #purgedAt = -Infinity;
  /** Use RowBinary for {@link BINARY_TABLES}. */
  binary = true;
  /** Rows stored per insert format (what took the fast path). */
  readonly rowsByFormat = { RowBinary: 0, JSONEachRow: 0 };

  private constructor(describe: string, session: ChdbSession, db: string) {
    this.describe = describe;
    this.#session = session;
    this.#db = db;
  }

  /** Opens (creating if needed, unless `mustExist`) the store in `dir`. */
  static async open(
    dir: string,
    database = DEFAULT_DATABASE,
    opts: { mustExist?: boolean } = {},
  ): Promise<ChdbStore> {
    if (opts.mustExist && !await holdsStore(dir)) {
      throw new UsageError(
        `no store at ${dir}; write one with sentinel-sink or sentinel-demo-seed first`,
      );
    }
    await Deno.mkdir(dir, { recursive: true });
    const session = await openChdbSession(dir) as unknown as ChdbSession;
    const store = new ChdbStore(`chdb:${dir}`, session, database);
    // A new store has no database yet: applySchema selects it once created.
    await store.#useDatabase().catch(() => {});
    return store;
  }

  /**
   * Makes the store's database the session's current one, so that a query
   * naming `events` reads `<database>.events` (as `--database` promises;
   * the server path sends the database with each query). Everything the
   * sink itself runs names its database explicitly.
   */
  async #useDatabase(): Promise<void> {
    await this.query(`USE ${this.#db}`, "TSV");
  }

  async applySchema(retention?: RetentionDays, logger?: Logger): Promise<void> {
    this.#encoders.clear();
    await applySchemaTo({
      exec: async (st) => void await this.query(st, "TSV"),
      select: (st) => this.query(st, "JSONEachRow"),
    }, { database: this.#db, retention, logger });
    await this.#useDatabase();
  }

  encoderFor(table: TableName): Promise<RecordEncoder | null> {
    return this.binary && BINARY_TABLES.has(table)
      ? this.#encoder(table)
      : Promise.resolve(null);
  }

  async insert(table: TableName, rows: readonly PendingRow[]): Promise<void> {
    // Rows already stored by an earlier, partly failed call are not stored
    // again when the writer retries or bisects the same rows.
    if (this.#partial) rows = rows.filter((r) => !this.#stored.has(r));
    if (rows.length === 0) return;
    const enc = await this.encoderFor(table);
    if (!enc) {
      if (rows.some((r) => !r.record)) {
        throw new StoreError(
          `${table}: encoded rows need a RowBinary path`,
          "fatal",
        );
      }
      return await this.#insertJson(table, rows);
    }
    let data = contiguous(rows);
    let declined: PendingRow[] | undefined;
    let encoded: PendingRow[] | undefined;
    if (!data) {
      // Rows not encoded by the writer (or not in one piece): encode here.
      // The shared buffer is free again once its bytes are in the file; a
      // concurrent insert (not made by the sink's writer) gets its own.
      const w = this.#writerBusy ? new ByteWriter(1 << 16) : this.#writer;
      w.reset();
      for (let i = 0; i < rows.length; i++) {
        const r = rows[i];
        let ok: boolean;
        if (r.buf) {
          w.put(r.buf.buf.subarray(r.start!, r.end!));
          ok = true;
        } else {
          try {
            ok = enc.encode(w, r.record!, r.line);
          } catch (e) {
            // A value no path may store: the writer dead-letters the row.
            if (e instanceof RefusedValue) {
              throw new StoreError(e.message, "rejected");
            }
            throw e;
          }
        }
        if (!ok) {
          if (!declined) {
            declined = [];
            encoded = rows.slice(0, i);
          }
          declined.push(r);
        } else if (encoded) encoded.push(r);
      }
      data = w.pos > 0 ? w.bytes() : null;
    }
    if (data) {
      const shared = data.buffer === this.#writer.buf.buffer;
      if (shared) this.#writerBusy = true;
      await this.#insertBinary(table, enc, data, () => {
        if (shared) this.#writerBusy = false;
      });
      this.rowsByFormat.RowBinary += rows.length - (declined?.length ?? 0);
    }
    if (!declined) return;
    try {
      await this.#insertJson(table, declined);
    } catch (e) {
      if (encoded?.length) {
        for (const r of encoded) this.#stored.add(r);
        this.#partial = true;
      }
      throw e;
    }
  }

  async #insertJson(table: TableName, rows: readonly PendingRow[]) {
    // The columns and their defaults come from the table
    // (use_structure_from_insertion_table_in_table_functions).
    await this.#insertFile(
      table,
      new TextEncoder().encode(joinRows(rows)),
      "JSONEachRow",
      "",
      "",
      JSON_FILE_SETTINGS,
    );
    this.rowsByFormat.JSONEachRow += rows.length;
  }

  async #insertBinary(
    table: TableName,
    enc: RecordEncoder,
    data: Uint8Array,
    written: () => void,
  ) {
    await this.#insertFile(
      table,
      data,
      "RowBinary",
      ` (${enc.columns.map((c) => `\`${c}\``).join(", ")})`,
      `, ${sqlString(enc.structure)}`,
      BINARY_SETTINGS,
      written,
    );
  }

  /**
   * Inserts the rows in `data` through a spool file. chDB must never be
   * handed insert data directly: with data pending on the process's stdin
   * (the sink's own input) it either refuses the insert ("both inlined and
   * external data") or, for `FROM INFILE`, reads stdin as insert data.
   */
  async #insertFile(
    table: TableName,
    data: Uint8Array,
    format: string,
    columns: string,
    structure: string,
    settings: string,
    written?: () => void,
  ) {
    const file = `${await this.#spoolDir()}/${table}-${++this.#files}.${
      format === "JSONEachRow" ? "ndjson" : format.toLowerCase()
    }`;
    try {
      await Deno.writeFile(file, data);
    } finally {
      written?.();
    }
    try {
      await this.#session.queryAsync(
        `INSERT INTO ${this.#db}.${table}${columns} SELECT * FROM file(${
          sqlString(file)
        }, '${format}'${structure}) SETTINGS ${settings}`,
      );
    } catch (e) {
      throw toStoreError(e);
    } finally {
      await Deno.remove(file).catch(() => {});
    }
    await this.#purge();
  }

  /**
   * Hands the engine's freed memory back to the system, at most once a
   * second. chDB's allocator (jemalloc, dirty_decay_ms 5000) otherwise
   * keeps every insert's and merge's freed pages resident for 5 s, which
   * under a steady insert load is a permanent high-water mark. Measured on
   * the whole sink (400k events, 3 same-run pairs): purging after every
   * insert lowered peak RSS by 70-130 MB but cost 1.2-2 µs CPU/row (the next
   * insert faults the pages back in); once a second keeps most of the
   * saving for a fraction of the cost. A build without jemalloc refuses the
   * command once and is not asked again.
   */
  async #purge() {
    if (!this.#canPurge) return;
    const now = performance.now();
    if (now - this.#purgedAt < PURGE_INTERVAL_MS) return;
    this.#purgedAt = now;
    try {
      await this.#session.queryAsync("SYSTEM JEMALLOC PURGE");
    } catch {
      this.#canPurge = false;
    }
  }

  async #spoolDir(): Promise<string> {
    if (this.#spool) return this.#spool;
    this.#spool = await Deno.makeTempDir({
      dir: await tmpfs(),
      prefix: "sentinel-sink-",
    });
    globalThis.addEventListener("unload", this.#removeSpool);
    return this.#spool;
  }

  /** The table's RowBinary encoder, compiled from its columns once. */
  async #encoder(table: TableName): Promise<RecordEncoder | null> {
    let enc = this.#encoders.get(table);
    if (enc !== undefined) return enc;
    const cols = await this.#columns(table);
    enc = cols ? compileTable(cols) : null;
    // An unknown table is looked up again next time (it may be created).
    if (enc) this.#encoders.set(table, enc);
    return enc;
  }

  /** The columns the sink writes, or null (e.g. no such table yet). */
  async #columns(table: TableName): Promise<ColumnType[] | null> {
    try {
      const out = await this.query(
        `SELECT name, type FROM system.columns WHERE database = ${
          sqlString(this.#db)
        } AND table = '${table}' AND default_kind IN ('', 'DEFAULT') ORDER BY position`,
        "JSONEachRow",
      );
      const cols = out.split("\n").filter((l) => l).map((l) =>
        JSON.parse(l) as ColumnType
      );
      return cols.length ? cols : null;
    } catch {
      return null; // e.g. the table does not exist yet: JSON reports that
    }
  }

  async query(
    sql: string,
    format: string,
    settings?: Record<string, number>,
  ): Promise<string> {
    // chDB's query options take no settings: a trailing FORMAT … SETTINGS
    // clause sets them for this query alone (it may follow the query's own
    // SETTINGS clause).
    const text = settings
      ? `${sql.replace(/;\s*$/, "")}\nFORMAT ${format} SETTINGS ${
        Object.entries(settings).map(([k, v]) => `${k} = ${v}`).join(", ")
      }`
      : sql;
    try {
      return (await this.#session.queryAsync(text, { format })).text();
    } catch (e) {
      throw toStoreError(e);
    }
  }

  async close(): Promise<void> {
    try {
      this.#session.close();
    } finally {
      if (this.#spool) {
        globalThis.removeEventListener("unload", this.#removeSpool);
        await Deno.remove(this.#spool, { recursive: true }).catch(() => {});
      }
    }
  }

  /** Removes the spool directory when the process exits without `close`. */
  readonly #removeSpool = () => {
    try {
      if (this.#spool) Deno.removeSync(this.#spool, { recursive: true });
    } catch { /* already gone */ }
  };
}

/**
 * Why a chDB data directory cannot be opened while another process has it
 * open, and what to do instead. chDB (like `clickhouse local`) locks
 * `DIR/status` for the life of its engine: one process per directory.
 */
export function chdbBusyMessage(dir: string): string {
  return `store chdb:${dir} is in use by another process (chDB allows one process per data directory): stop the sentinel-sink writing to it first, query a copy (cp -r ${dir} ${dir}-copy), or store in a ClickHouse server (--out http://…)`;
}

/**
 * True when `e` is chDB refusing a directory another process holds (its
 * "Cannot lock file …/status" reaches JS only as "Failed to create
 * connection for path …", the native engine prints the rest on stderr).
 */
export function isChdbLockError(e: unknown): boolean {
  const m = String((e as Error)?.message ?? e);
  return /Cannot lock file|Another server instance|Failed to create connection for path/
    .test(m);
}

/**
 * True when another process holds `dir`'s chDB lock: a non-blocking
 * exclusive flock on `DIR/status`, the file the engine keeps locked while
 * it runs (and removes when it stops). Asked before opening a session, so
 * that chDB never gets to print its raw lock error on stderr.
 */
export async function chdbDirectoryBusy(dir: string): Promise<boolean> {
  let f: Deno.FsFile;
  try {
    f = await Deno.open(`${dir}/status`, { read: true });
  } catch {
    return false; // no status file: no engine runs on this directory
  }
  try {
    const locked = await f.tryLock(true);
    if (locked) await f.unlock();
    return !locked;
  } finally {
    f.close();
  }
}

/**
 * Opens a chDB session on `dir` (an existing directory), or throws a
 * {@link StoreError} with {@link chdbBusyMessage} when another process
 * holds the directory, instead of chDB's raw lock error. For every opener
 * of a sink store (the sink, `query`, the detector's `train --from-store`).
 */
export async function openChdbSession(
  dir: string,
): Promise<import("chdb").Session> {
  if (await chdbDirectoryBusy(dir)) {
    throw new StoreError(chdbBusyMessage(dir), "fatal");
  }
  // Loaded lazily: compiled binaries cannot embed the native engine, and
  // stdio/server runs should not pay for loading it.
  const { Session } = await import("chdb");
  try {
    return new Session(dir);
  } catch (e) {
    // Taken between the check and the open.
    if (isChdbLockError(e)) {
      throw new StoreError(chdbBusyMessage(dir), "fatal");
    }
    throw e;
  }
}

/**
 * The bytes of `rows` when every row was encoded by the writer into one
 * buffer, back to back (a whole batch, or a slice of it when bisecting).
 */
function contiguous(rows: readonly PendingRow[]): Uint8Array | null {
  const first = rows[0];
  const buf = first.buf;
  if (!buf) return null;
  let end = first.start!;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    if (r.buf !== buf || r.start !== end) return null;
    end = r.end!;
  }
  return buf.buf.subarray(first.start!, end);
}

/**
 * True when `dir` holds a chDB store: one that anything was ever created in
 * has a `metadata` directory (opening a session alone leaves only `tmp`).
 */
async function holdsStore(dir: string): Promise<boolean> {
  try {
    return (await Deno.stat(`${dir}/metadata`)).isDirectory;
  } catch {
    return false;
  }
}

/** /dev/shm when it is a writable directory, else the system temp dir. */
async function tmpfs(): Promise<string | undefined> {
  try {
    const st = await Deno.stat("/dev/shm");
    return st.isDirectory ? "/dev/shm" : undefined;
  } catch {
    return undefined;
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
  /**
   * The client for {@link query}: the same server, with the store's
   * database as the current one (unqualified table names resolve there).
   * Not the only client: a server refuses every request naming a database
   * that does not exist, including the schema's CREATE DATABASE.
   */
  readonly #queryClient: CHClient;

  private constructor(
    describe: string,
    client: CHClient,
    queryClient: CHClient,
    db: string,
  ) {
    this.describe = describe;
    this.#client = client;
    this.#queryClient = queryClient;
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
    const db = sqlIdentifier(
      opts.database ?? (fromPath || DEFAULT_DATABASE),
      opts.database === undefined
        ? "--out (database in the URL path)"
        : "--database",
    );
    let caCert: Uint8Array | undefined;
    if (opts.caFile !== undefined) {
      try {
        caCert = await Deno.readFile(opts.caFile);
      } catch (e) {
        throw new UsageError(
          `cannot read --ca ${opts.caFile}: ${(e as Error).message}`,
        );
      }
    }
    const { createClient, ClickHouseLogLevel } = await import(
      "@clickhouse/client"
    );
    const config = {
      ...(caCert ? { tls: { ca_cert: Buffer.from(caCert) } } : {}),
      url: `${url.protocol}//${url.host}`,
      username: user,
      password,
      request_timeout: opts.requestTimeoutMs ?? 30_000,
      // The sink retries itself, with back-off and commit-after-insert.
      keep_alive: { enabled: true },
      application: "sentinel-sink",
      // Failures surface as StoreErrors and are logged once by the sink.
      log: { level: ClickHouseLogLevel.OFF },
    };
    return new ClickHouseServerStore(
      `${url.protocol}//${url.host}/${db}`,
      createClient(config),
      createClient({ ...config, database: db }),
      db,
    );
  }

  async applySchema(retention?: RetentionDays, logger?: Logger): Promise<void> {
    await applySchemaTo({
      exec: async (st) => {
        try {
          await this.#client.command({ query: st });
        } catch (e) {
          throw toStoreError(e);
        }
      },
      select: (st) => this.#run(this.#client, st, "JSONEachRow"),
    }, { database: this.#db, retention, logger });
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

  query(
    sql: string,
    format: string,
    settings?: Record<string, number>,
  ): Promise<string> {
    return this.#run(this.#queryClient, sql, format, settings);
  }

  async #run(
    client: CHClient,
    sql: string,
    format: string,
    settings?: Record<string, number>,
  ): Promise<string> {
    try {
      const r = await client.exec({
        query: `${sql.replace(/;\s*$/, "")}\nFORMAT ${format}`,
        ...(settings ? { clickhouse_settings: settings } : {}),
      });
      const chunks: Uint8Array[] = [];
      for await (const c of r.stream) chunks.push(c as Uint8Array);
      return new TextDecoder().decode(concatBytes(chunks));
    } catch (e) {
      throw toStoreError(e);
    }
  }

  async close(): Promise<void> {
    await Promise.all([this.#client.close(), this.#queryClient.close()]);
  }
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
    try {
      if (out.writeText) await out.writeText(text);
      else {
        await out.write(rows.map((r) => ({
          record: JSON.parse(r.line),
          line: r.line,
          forwarded: true,
        })));
      }
    } catch (e) {
      // A pipe whose reader is gone takes no retry: stop at once instead
      // of backing off for half a minute (`… --out - | head`).
      const lost = this.#sink.lost;
      if (lost) throw new StoreError(lost.message, "fatal");
      throw e;
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
