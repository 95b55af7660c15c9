/**
 * A loopback server that speaks enough of ClickHouse's HTTP interface for
 * `@clickhouse/client` (queries in the URL or the body, `INSERT … FORMAT
 * JSONEachRow` bodies, settings as URL parameters, `X-ClickHouse-*` headers,
 * errors as "Code: N. DB::Exception: …" with ClickHouse's HTTP statuses and
 * `X-ClickHouse-Exception-Code`), executing everything on chDB.
 *
 * It runs in its own process, because chDB binds one data directory per
 * process and test files share workers. Tests drive it with
 * {@link startClickHouseHttp}; faults are switched on over its stdin:
 *
 * - `refuse`: stop listening (connections are refused) until `back`;
 * - `drop`: accept connections and close them at once until `back`;
 * - `back`: listen again on the same port;
 * - `fail N CODE`: answer the next N requests with ClickHouse error CODE;
 * - `lose-ack N`: execute the next N inserts, then break the connection
 *   before answering (the client cannot know the insert succeeded);
 * - `wait COUNTER N`: answer only once COUNTER (requests, inserts,
 *   failures, dropped) reached N, so a test waits for the client to act on
 *   a fault instead of sleeping (an error after 60 s).
 *
 * Every command is answered on the harness's stdout once it has taken
 * effect (`ok CMD`), which {@link ClickHouseHttp.control} waits for.
 */

/** A running harness. */
export interface ClickHouseHttp {
  /** e.g. http://127.0.0.1:41234 */
  readonly url: string;
  readonly port: number;
  /** Sends a fault command (see the module doc) and waits for it to apply. */
  control(command: string): Promise<void>;
  /** Runs SQL through the HTTP interface and returns the body. */
  sql(query: string, format?: string): Promise<string>;
  /** Requests served so far, inserts among them; connections dropped. */
  counters(): Promise<
    { requests: number; inserts: number; failures: number; dropped: number }
  >;
  /** Resolves once `counter` reached `n` (the `wait` command). */
  waitFor(
    counter: "requests" | "inserts" | "failures" | "dropped",
    n: number,
  ): Promise<void>;
  close(): Promise<void>;
}

/** Options of {@link startClickHouseHttp}. */
export interface HarnessOptions {
  /** chDB data directory. */
  dir: string;
  user?: string;
  password?: string;
  /**
   * Serve HTTPS with the test certificate (tests/fixtures/tls, issued for
   * localhost by the fixture CA, ca.pem); `url` is then https://localhost.
   */
  tls?: boolean;
}

const TLS_FIXTURES = new URL("../fixtures/tls/", import.meta.url);

/** Starts the harness in a child process. */
export async function startClickHouseHttp(
  opts: HarnessOptions,
): Promise<ClickHouseHttp> {
  const user = opts.user ?? "default";
  const password = opts.password ?? "";
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--config",
      new URL("../../deno.json", import.meta.url).pathname,
      new URL(import.meta.url).pathname,
      opts.dir,
      user,
      password,
      opts.tls ? "tls" : "",
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const writer = child.stdin.getWriter();
  const lines = readLines(child.stdout);
  const first = await lines.next();
  if (first.done) {
    throw new Error("clickhouse_http harness exited before listening");
  }
  const { port } = JSON.parse(first.value) as { port: number };
  const url = opts.tls
    ? `https://localhost:${port}`
    : `http://127.0.0.1:${port}`;
  const client = opts.tls
    ? Deno.createHttpClient({
      caCerts: [await Deno.readTextFile(new URL("ca.pem", TLS_FIXTURES))],
    })
    : undefined;
  const auth = "Basic " + btoa(`${user}:${password}`);
  const ask = async (cmd: string): Promise<string> => {
    await writer.write(new TextEncoder().encode(cmd + "\n"));
    const r = await lines.next();
    if (r.done) throw new Error("clickhouse_http harness exited");
    return r.value;
  };
  return {
    url,
    port,
    async control(command) {
      const r = await ask(command);
      if (!r.startsWith("ok")) throw new Error(`harness: ${r}`);
    },
    async sql(query, format = "JSONEachRow") {
      const res = await fetch(`${url}/?default_format=${format}`, {
        method: "POST",
        body: query,
        headers: { authorization: auth },
        client,
      });
      const body = await res.text();
      if (!res.ok) throw new Error(body);
      return body;
    },
    async counters() {
      return JSON.parse(await ask("counters"));
    },
    async waitFor(counter, n) {
      const r = await ask(`wait ${counter} ${n}`);
      if (!r.startsWith("ok")) throw new Error(`harness: ${r}`);
    },
    async close() {
      client?.close();
      await writer.close().catch(() => {});
      await child.status;
    },
  };
}

async function* readLines(
  stream: ReadableStream<Uint8Array>,
): AsyncGenerator<string> {
  const dec = new TextDecoder();
  let buf = "";
  for await (const chunk of stream) {
    buf += dec.decode(chunk, { stream: true });
    let i;
    while ((i = buf.indexOf("\n")) >= 0) {
      yield buf.slice(0, i);
      buf = buf.slice(i + 1);
    }
  }
}

// ---------------------------------------------------------------- server ---

const ERROR_NAMES: Record<number, string> = {
  62: "SYNTAX_ERROR",
  60: "UNKNOWN_TABLE",
  81: "UNKNOWN_DATABASE",
  202: "TOO_MANY_SIMULTANEOUS_QUERIES",
  209: "SOCKET_TIMEOUT",
  241: "MEMORY_LIMIT_EXCEEDED",
  252: "TOO_MANY_PARTS",
  516: "AUTHENTICATION_FAILED",
};

/** The HTTP status ClickHouse answers an exception code with. */
export function httpStatusFor(code: number): number {
  if ([192, 193, 194, 516].includes(code)) return 401;
  if (code === 497) return 403;
  if ([60, 81, 46, 47].includes(code)) return 404;
  if (
    [
      6,
      25,
      26,
      27,
      38,
      41,
      53,
      62,
      69,
      70,
      72,
      117,
      349,
      376,
      467,
      469,
      632,
      675,
      676,
      691,
    ].includes(code)
  ) {
    return 400;
  }
  if (code === 202) return 503;
  if (code === 159 || code === 209) return 504;
  return 500;
}

async function serve(
  dir: string,
  user: string,
  password: string,
  tls: boolean,
) {
  const certs = tls
    ? {
      cert: await Deno.readTextFile(new URL("cert.pem", TLS_FIXTURES)),
      key: await Deno.readTextFile(new URL("key.pem", TLS_FIXTURES)),
    }
    : {};
  const { Session, version } = await import("chdb");
  const chVersion = version().libchdb.replaceAll('"', "");
  const session = new Session(dir);
  const counters = { requests: 0, inserts: 0, failures: 0, dropped: 0 };
  let failNext = 0;
  let failCode = 0;
  let loseAcks = 0;
  let port = 0;
  let server: Deno.HttpServer | null = null;
  let dropper: Deno.Listener | null = null;

  const errorResponse = (code: number, message: string, queryId: string) => {
    counters.failures++;
    const name = ERROR_NAMES[code];
    let body = message.replace(/^Query failed: /, "").trim();
    if (!/^Code: \d+\./.test(body)) {
      body = `Code: ${code}. DB::Exception: ${body}${name ? ` (${name})` : ""}`;
    }
    return new Response(`${body} (version ${chVersion})\n`, {
      status: httpStatusFor(code),
      headers: {
        "content-type": "text/plain; charset=UTF-8",
        "x-clickhouse-exception-code": String(code),
        "x-clickhouse-query-id": queryId,
        "x-clickhouse-server-display-name": "sentinel-harness",
      },
    });
  };

  const handler = async (req: Request): Promise<Response> => {
    counters.requests++;
    const url = new URL(req.url);
    const p = url.searchParams;
    const queryId = p.get("query_id") ?? crypto.randomUUID();
    if (url.pathname === "/ping") return new Response("Ok.\n");
    const [u, pw] = credentials(req, p);
    if (u !== user || pw !== password) {
      return errorResponse(
        516,
        `Code: 516. DB::Exception: ${u}: Authentication failed: password is incorrect, or there is no user with such name. (AUTHENTICATION_FAILED)`,
        queryId,
      );
    }
    const body = new Uint8Array(await req.arrayBuffer());
    if (failNext > 0) {
      failNext--;
      return errorResponse(failCode, `injected failure`, queryId);
    }
    const inUrl = p.get("query");
    const sql = (inUrl ?? new TextDecoder().decode(body)).trim();
    const headers: Record<string, string> = {
      "x-clickhouse-query-id": queryId,
      "x-clickhouse-timezone": "UTC",
      "x-clickhouse-server-display-name": "sentinel-harness",
    };
    const insert =
      /^INSERT\s+INTO\s+([\w.`]+)\s*(?:\(([^)]*)\))?\s*FORMAT\s+(\w+)\s*$/is
        .exec(sql);
    try {
      if (insert) {
        if (inUrl === null) {
          throw new Error(
            "Code: 62. DB::Exception: INSERT data must follow the query in the body. (SYNTAX_ERROR)",
          );
        }
        const settings: Record<string, string> = {};
        for (const [k, v] of p) {
          if (k.startsWith("input_format_") || k === "date_time_input_format") {
            settings[k] = v;
          }
        }
        const r = await session.insert({
          table: insert[1].replaceAll("`", ""),
          values: body,
          format: insert[3] as "JSONEachRow",
          columns: insert[2]
            ? insert[2].split(",").map((c) => c.trim())
            : undefined,
          settings,
        });
        counters.inserts++;
        if (loseAcks > 0) {
          loseAcks--;
          // A body that errors makes Deno abort the connection mid-response.
          return new Response(
            new ReadableStream({
              start(c) {
                c.error(new Error("connection lost after the insert"));
              },
            }),
            { status: 200, headers },
          );
        }
        headers["x-clickhouse-summary"] = JSON.stringify({
          read_rows: "0",
          read_bytes: "0",
          written_rows: String(r.rowsWritten),
          written_bytes: String(r.bytesWritten),
          total_rows_to_read: "0",
          result_rows: String(r.rowsWritten),
          result_bytes: String(r.bytesWritten),
        });
        return new Response("", { status: 200, headers });
      }
      const m = /\s+FORMAT\s+(\w+)\s*;?\s*$/i.exec(sql);
      const format = m?.[1] ?? p.get("default_format") ?? "TabSeparated";
      const text = m ? sql.slice(0, m.index) : sql;
      const result = await session.queryAsync(text, { format });
      headers["x-clickhouse-format"] = format;
      headers["content-type"] = format.startsWith("JSON")
        ? "application/json; charset=UTF-8"
        : "text/plain; charset=UTF-8";
      headers["x-clickhouse-summary"] = JSON.stringify({
        read_rows: String(result.rowsRead),
        read_bytes: String(result.bytesRead),
      });
      return new Response(result.bytes() as Uint8Array<ArrayBuffer>, {
        status: 200,
        headers,
      });
    } catch (e) {
      const msg = (e as Error).message ?? String(e);
      const code = (e as { clickhouseCode?: number }).clickhouseCode ??
        Number(/Code: (\d+)\./.exec(msg)?.[1] ?? 1002);
      return errorResponse(code, msg, queryId);
    }
  };

  const listen = async () => {
    // A listener that was just closed can hold the port for a moment.
    for (let attempt = 0;; attempt++) {
      try {
        server = Deno.serve(
          { hostname: "127.0.0.1", port, onListen: () => {}, ...certs },
          handler,
        );
        break;
      } catch (e) {
        if (!(e instanceof Deno.errors.AddrInUse) || attempt > 50) throw e;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    port = (server!.addr as Deno.NetAddr).port;
  };
  const stop = async () => {
    if (server) {
      await server.shutdown();
      server = null;
    }
    if (dropper) {
      dropper.close();
      dropper = null;
    }
  };
  await listen();
  console.log(JSON.stringify({ port }));

  for await (const line of readLines(Deno.stdin.readable)) {
    const [cmd, a, b] = line.trim().split(/\s+/);
    if (cmd === "refuse") await stop();
    else if (cmd === "drop") {
      await stop();
      const l = Deno.listen({ hostname: "127.0.0.1", port });
      dropper = l;
      (async () => {
        try {
          for await (const conn of l) {
            counters.dropped++;
            conn.close();
          }
        } catch { /* closed by back */ }
      })();
    } else if (cmd === "back") {
      await stop();
      await listen();
    } else if (cmd === "fail") {
      failNext = Number(a);
      failCode = Number(b);
    } else if (cmd === "lose-ack") loseAcks = Number(a);
    else if (cmd === "wait") {
      const key = a as keyof typeof counters;
      if (!(key in counters)) {
        console.log(`error: unknown counter '${a}'`);
        continue;
      }
      const deadline = Date.now() + 60_000;
      while (counters[key] < Number(b) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 10));
      }
      if (counters[key] < Number(b)) {
        console.log(`error: timed out waiting for ${key} >= ${b}`);
        continue;
      }
    } else if (cmd === "counters") {
      console.log(JSON.stringify(counters));
      continue;
    } else {
      console.log(`error: unknown command '${cmd}'`);
      continue;
    }
    console.log(`ok ${cmd}`);
  }
  await stop();
  session.close();
}

function credentials(req: Request, p: URLSearchParams): [string, string] {
  const h = req.headers;
  const basic = h.get("authorization");
  if (basic?.startsWith("Basic ")) {
    const dec = atob(basic.slice(6));
    const i = dec.indexOf(":");
    return [dec.slice(0, i), dec.slice(i + 1)];
  }
  return [
    h.get("x-clickhouse-user") ?? p.get("user") ?? "default",
    h.get("x-clickhouse-key") ?? p.get("password") ?? "",
  ];
}

if (import.meta.main) {
  const [dir, user = "default", password = "", tls = ""] = Deno.args;
  await serve(dir, user, password, tls === "tls");
  Deno.exit(0);
}
