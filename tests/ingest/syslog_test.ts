/**
 * Syslog receivers of the real server on 127.0.0.1: UDP datagrams and TCP
 * with both framings become RawEvents with transport syslog; oversize
 * frames become dead letters.
 */
import assert from "node:assert/strict";
import dgram from "node:dgram";
import { validatorFor } from "../../stages/shared/contracts/mod.ts";
import type { DeadLetter } from "../../stages/shared/contracts/mod.ts";
import { MemorySink, SSHD_FAILED, until, withServer } from "./_helpers.ts";

const validRaw = validatorFor("raw_event");
const validDead = validatorFor("dead_letter");
const enc = (s: string) => new TextEncoder().encode(s);

Deno.test("syslog over UDP: one datagram, one RawEvent with the line as payload", async () => {
  await withServer(
    { syslogUdpPort: 0, defaultTenant: "acme" },
    async (s, _url, sink) => {
      const sock = dgram.createSocket("udp4");
      const lines = Array.from(
        { length: 20 },
        (_, i) => `<38>${SSHD_FAILED} #${i}`,
      );
      for (const l of lines) {
        await new Promise<void>((resolve, reject) =>
          sock.send(
            enc(l + "\n"),
            s.syslogUdpPort!,
            "127.0.0.1",
            (e) => e ? reject(e) : resolve(),
          )
        );
      }
      sock.close();
      // UDP on loopback does not drop 20 small datagrams, but order is not promised.
      await until(() => sink.events().length === 20, "20 syslog events");
      const events = sink.events();
      assert.deepEqual(
        events.map((e) => e.payload).sort(),
        [...lines].sort(),
      );
      for (const e of events) {
        assert.equal(validRaw(e), null);
        assert.equal(e.transport, "syslog");
        assert.equal(e.tenant, "acme");
      }
      assert.equal(s.metrics.eventCount("syslog"), 20);
    },
  );
});

Deno.test("syslog over TCP: LF framing and RFC 6587 octet counting, split across writes", async () => {
  await withServer({ syslogTcpPort: 0 }, async (s, _url, sink) => {
    const octet = "<13>Nov 24 10:00:01 h app: multi\nline message";
    const conn = await Deno.connect({
      hostname: "127.0.0.1",
      port: s.syslogTcpPort!,
    });
    await conn.write(enc(`<13>first line\r\n<13>sec`));
    await new Promise((r) => setTimeout(r, 20));
    await conn.write(
      enc(`ond line\n${enc(octet).length} ${octet.slice(0, 10)}`),
    );
    await new Promise((r) => setTimeout(r, 20));
    await conn.write(enc(`${octet.slice(10)}<13>last without newline`));
    conn.close();
    await until(() => sink.events().length === 4, "4 TCP syslog events");
    assert.deepEqual(sink.events().map((e) => e.payload), [
      "<13>first line",
      "<13>second line",
      octet,
      "<13>last without newline",
    ]);
    assert.ok(sink.events().every((e) => e.transport === "syslog"));
  });
});

Deno.test("syslog over TCP: many connections at once lose nothing", async () => {
  await withServer({ syslogTcpPort: 0 }, async (s, _url, sink) => {
    const conns = 8;
    const per = 100;
    await Promise.all(Array.from({ length: conns }, async (_, c) => {
      const conn = await Deno.connect({
        hostname: "127.0.0.1",
        port: s.syslogTcpPort!,
      });
      let text = "";
      for (let i = 0; i < per; i++) {
        const m = `<13>conn ${c} msg ${i}`;
        text += c % 2 === 0 ? `${m}\n` : `${enc(m).length} ${m}`;
      }
      const bytes = enc(text);
      for (let off = 0; off < bytes.length; off += 333) {
        await conn.write(bytes.subarray(off, off + 333));
      }
      conn.close();
    }));
    await until(() => sink.events().length === conns * per, "all TCP messages");
    const payloads = new Set(sink.events().map((e) => e.payload));
    assert.equal(payloads.size, conns * per);
  });
});

Deno.test("oversize syslog frames become dead letters; later frames still arrive", async () => {
  const sink = new MemorySink();
  await withServer({
    sink,
    syslogTcpPort: 0,
    syslogUdpPort: 0,
    maxSyslogBytes: 128,
  }, async (s) => {
    const conn = await Deno.connect({
      hostname: "127.0.0.1",
      port: s.syslogTcpPort!,
    });
    // Two different frames with the same first 256 bytes.
    await conn.write(
      enc(
        `500 <13>${"x".repeat(495)}1500 <13>${"x".repeat(495)}2<13>after\n`,
      ),
    );
    conn.close();
    const sock = dgram.createSocket("udp4");
    await new Promise<void>((r) =>
      sock.send(
        enc("<13>" + "y".repeat(300)),
        s.syslogUdpPort!,
        "127.0.0.1",
        () => r(),
      )
    );
    sock.close();
    const dead = () =>
      sink.records.map((r) => r.record).filter((r) =>
        r.record === "dead_letter"
      ) as DeadLetter[];
    await until(
      () => dead().length === 3 && sink.events().length === 1,
      "3 dead letters",
    );
    assert.equal(sink.events()[0].payload, "<13>after");
    for (const d of dead()) {
      assert.equal(validDead(d), null);
      assert.equal(d.stage, "ingest");
      assert.equal(d.reason_code, "oversize");
      assert.equal(d.input_truncated, true);
    }
    // Distinct frames stay distinct in the store (ids are its key).
    assert.equal(new Set(dead().map((d) => d.dead_letter_id)).size, 3);
    assert.deepEqual(dead().map((d) => d.input_bytes).sort(), [304, 500, 500]);
  });
});

/** Reads until the server closes the connection (true) or 5 s pass (false). */
async function closedByServer(conn: Deno.Conn): Promise<boolean> {
  const buf = new Uint8Array(64);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<false>((r) => timer = setTimeout(r, 5000, false));
  const eof = (async () => {
    try {
      while ((await conn.read(buf)) !== null) { /* no data expected */ }
    } catch { /* reset: closed too */ }
    return true;
  })();
  try {
    return await Promise.race([eof, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

Deno.test("syslog over TCP: a silent connection is closed after the idle timeout, its messages delivered", async () => {
  await withServer(
    { syslogTcpPort: 0, syslogTcpIdleTimeoutMs: 100 },
    async (s, _url, sink) => {
      const conn = await Deno.connect({
        hostname: "127.0.0.1",
        port: s.syslogTcpPort!,
      });
      try {
        await conn.write(enc("<13>said one thing\n<13>then half a"));
        assert.equal(
          await closedByServer(conn),
          true,
          "idle connection closed",
        );
      } finally {
        try {
          conn.close();
        } catch { /* closed */ }
      }
      await until(() => sink.events().length === 2, "2 TCP syslog events");
      assert.deepEqual(sink.events().map((e) => e.payload), [
        "<13>said one thing",
        "<13>then half a",
      ]);
      assert.equal(s.metrics.errorCount("syslog_tcp_idle_closed"), 1);
    },
  );
});

Deno.test("syslog over TCP: connections beyond the limit are closed at once; a freed slot is reused", async () => {
  await withServer(
    { syslogTcpPort: 0, maxSyslogTcpConnections: 2 },
    async (s, _url, sink) => {
      const open = () =>
        Deno.connect({ hostname: "127.0.0.1", port: s.syslogTcpPort! });
      const a = await open();
      const b = await open();
      await a.write(enc("<13>a\n"));
      await b.write(enc("<13>b\n"));
      // Both were accepted (their messages arrived) before the third comes.
      await until(() => sink.events().length === 2, "messages of a and b");
      const c = await open();
      assert.equal(await closedByServer(c), true, "third connection refused");
      c.close();
      assert.equal(s.metrics.errorCount("syslog_tcp_refused"), 1);
      a.close();
      // The slot of a is free once the server has seen a's end, which the
      // client cannot observe: try until a new connection is accepted.
      let d: Deno.Conn | undefined;
      for (let i = 0; i < 50 && !d; i++) {
        const payload = `<13>d${i}`;
        const delivered = () =>
          sink.events().some((e) => e.payload === payload);
        const refusedBefore = s.metrics.errorCount("syslog_tcp_refused");
        const t = await open();
        await t.write(enc(payload + "\n")).catch(() => 0);
        await until(
          () =>
            delivered() ||
            s.metrics.errorCount("syslog_tcp_refused") > refusedBefore,
          `${payload} delivered or refused`,
        );
        if (delivered()) d = t;
        else t.close();
      }
      assert.ok(d, "a new connection is accepted once one closed");
      d.close();
      b.close();
    },
  );
});
