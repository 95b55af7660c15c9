/**
 * TLS on ingest: with --tls-cert/--tls-key the HTTP API answers HTTPS only
 * (bearer tokens and events no longer cross the network in clear text),
 * and --syslog-tls receives RFC 5425 syslog (the TCP framings over TLS, as
 * rsyslog and syslog-ng send it). Bad TLS configuration is exit 2 with the
 * reason; credentials served without TLS on a reachable address warn. The
 * certificate is a test fixture for localhost / 127.0.0.1 (tests/fixtures/tls).
 */
import assert from "node:assert/strict";
import { SSHD_FAILED, until, withServer } from "./_helpers.ts";

const FIXTURES = new URL("../fixtures/tls/", import.meta.url);
const tls = {
  cert: await Deno.readTextFile(new URL("cert.pem", FIXTURES)),
  key: await Deno.readTextFile(new URL("key.pem", FIXTURES)),
};
/** The test CA that issued cert.pem, as a client trusts it. */
const ca = await Deno.readTextFile(new URL("ca.pem", FIXTURES));
const enc = (s: string) => new TextEncoder().encode(s);
const CLI = new URL("../../cli/sentinel-ingest.ts", import.meta.url).pathname;

Deno.test("HTTPS: a client trusting the certificate posts events (202); plain HTTP on the same port gets no answer", async () => {
  await withServer({ tls }, async (s, _url, sink) => {
    assert.equal(s.scheme, "https");
    const client = Deno.createHttpClient({ caCerts: [ca] });
    try {
      const res = await fetch(`https://localhost:${s.port}/events/batch`, {
        method: "POST",
        headers: { "content-type": "text/plain" },
        body: `${SSHD_FAILED}\n${SSHD_FAILED} again\n`,
        client,
      });
      assert.equal(res.status, 202, await res.clone().text());
      assert.equal((await res.json()).accepted, 2);
    } finally {
      client.close();
    }
    assert.deepEqual(sink.events().map((e) => e.payload), [
      SSHD_FAILED,
      `${SSHD_FAILED} again`,
    ]);
    await assert.rejects(
      fetch(`http://127.0.0.1:${s.port}/events`, {
        method: "POST",
        headers: { "content-type": "text/plain" },
        body: SSHD_FAILED,
      }).then((r) => r.body?.cancel()),
    );
    // An untrusted client refuses the self-signed certificate.
    await assert.rejects(fetch(`https://localhost:${s.port}/healthz`));
    assert.equal(sink.events().length, 2);
  });
});

Deno.test("syslog over TLS (RFC 5425): octet-counted and LF-framed messages arrive; a plaintext sender delivers nothing and the port keeps serving", async () => {
  await withServer({ tls, syslogTlsPort: 0 }, async (s, _url, sink) => {
    assert.ok(s.syslogTlsPort! > 0);
    // A sender that skips TLS: its bytes are a failed handshake, not events.
    const plain = await Deno.connect({
      hostname: "127.0.0.1",
      port: s.syslogTlsPort!,
    });
    await plain.write(enc("<13>Nov 24 10:00:00 h app: in clear text\n"));
    const m1 = "<34>1 2026-11-24T10:00:00Z web-01 sshd 811 - - Failed password";
    const m2 = "<13>Nov 24 10:00:01 web-01 app: multi\nline";
    const conn = await Deno.connectTls({
      hostname: "localhost",
      port: s.syslogTlsPort!,
      caCerts: [ca],
    });
    await conn.write(
      enc(`${enc(m1).length} ${m1}${enc(m2).length} ${m2}<13>lf framed\n`),
    );
    conn.close();
    await until(() => sink.events().length === 3, "3 TLS syslog events");
    assert.deepEqual(sink.events().map((e) => e.payload), [
      m1,
      m2,
      "<13>lf framed",
    ]);
    assert.ok(sink.events().every((e) => e.transport === "syslog"));
    await new Promise((r) => setTimeout(r, 100));
    try {
      plain.close();
    } catch {
      // closed by the server
    }
    assert.equal(sink.events().length, 3);
  });
});

async function cli(args: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLI, "--port", "0", ...args],
    env: { SENTINEL_AUTH_TOKENS: "", ...env },
    stdin: "null",
  }).output();
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}

Deno.test("CLI: TLS flags that cannot work exit 2 with the reason before listening", async () => {
  const cert = new URL("cert.pem", FIXTURES).pathname;
  const key = new URL("key.pem", FIXTURES).pathname;
  const bad = await Deno.makeTempFile({ suffix: ".pem" });
  try {
    await Deno.writeTextFile(
      bad,
      "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    );
    const cases: [string[], RegExp][] = [
      [["--tls-cert", cert], /--tls-cert and --tls-key go together/],
      [["--syslog-tls", "0"], /--syslog-tls needs --tls-cert and --tls-key/],
      [
        ["--tls-cert", "/no/such.pem", "--tls-key", key],
        /cannot read --tls-cert \/no\/such\.pem/,
      ],
      [[
        "--tls-cert",
        new URL("README.md", FIXTURES).pathname,
        "--tls-key",
        key,
      ], /is not a PEM file/],
      [
        ["--tls-cert", bad, "--tls-key", key],
        /--tls-cert\/--tls-key cannot be used: /,
      ],
      [
        ["--tls-cert", key, "--tls-key", cert],
        /--tls-cert\/--tls-key cannot be used: /,
      ],
    ];
    for (const [args, reason] of cases) {
      const r = await cli(args);
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, reason);
      assert.doesNotMatch(r.stderr, /"msg":"listening"/);
    }
  } finally {
    await Deno.remove(bad);
  }
});

Deno.test("sentinel-generator --ca: posts to an HTTPS ingest whose certificate a private CA issued; without it the failure names the untrusted certificate", async () => {
  const GEN = new URL("../../cli/sentinel-generator.ts", import.meta.url)
    .pathname;
  const gen = async (args: string[]) => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", GEN, "--count", "300", "--rate", "0", ...args],
      env: { SENTINEL_TARGET: "", SENTINEL_OUT: "" },
      stdin: "null",
    }).output();
    return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
  };
  await withServer({ tls }, async (s, _url, sink) => {
    const target = `https://localhost:${s.port}`;
    const ok = await gen([
      "--target",
      target,
      "--ca",
      new URL("ca.pem", FIXTURES).pathname,
      "--seed",
      "tls",
    ]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(sink.events().length, 300);
    const untrusted = await gen(["--target", target, "--retries", "0"]);
    assert.equal(untrusted.code, 1, untrusted.stderr);
    assert.match(untrusted.stderr, /invalid peer certificate: UnknownIssuer/);
    assert.equal(sink.events().length, 300);
    const plain = await gen([
      "--target",
      `http://localhost:${s.port}`,
      "--ca",
      new URL("ca.pem", FIXTURES).pathname,
    ]);
    assert.equal(plain.code, 2);
    assert.match(plain.stderr, /--ca applies to an https:\/\/ --target only/);
  });
});

Deno.test("syslog over TLS: connections that never start the handshake are closed by the idle timeout, and those beyond the limit at once; real senders still get through", async () => {
  await withServer({
    tls,
    syslogTlsPort: 0,
    syslogTcpIdleTimeoutMs: 300,
    maxSyslogTcpConnections: 3,
  }, async (s, _url, sink) => {
    const silent = await Promise.all(
      Array.from(
        { length: 5 },
        () => Deno.connect({ hostname: "127.0.0.1", port: s.syslogTlsPort! }),
      ),
    );
    // Each read ends (EOF or reset) once the server closes the connection;
    // before, Deno's TLS connections could not be closed mid-handshake and
    // these stayed open past both limits.
    const ended = await Promise.all(silent.map((c) =>
      Promise.race([
        c.read(new Uint8Array(16)).then(() => true, () => true),
        new Promise<boolean>((r) => setTimeout(() => r(false), 10_000)),
      ])
    ));
    for (const c of silent) {
      try {
        c.close();
      } catch {
        // closed by the server
      }
    }
    assert.deepEqual(ended, [true, true, true, true, true]);
    assert.equal(s.metrics.errorCount("syslog_tcp_refused"), 2);
    assert.equal(s.metrics.errorCount("syslog_tcp_idle_closed"), 3);
    const conn = await Deno.connectTls({
      hostname: "localhost",
      port: s.syslogTlsPort!,
      caCerts: [ca],
    });
    await conn.write(enc("<13>Nov 24 10:00:00 h app: after the flood\n"));
    conn.close();
    await until(() => sink.events().length === 1, "the real sender's event");
  });
});
