/**
 * A ClickHouse server behind TLS whose certificate a private CA issued (a
 * self-hosted ClickHouse): with --ca the sink stores and `query` reads over
 * https://; without it the sink stops at once (exit 1, no retries) saying
 * the certificate is not trusted and that --ca is the fix. --ca anywhere but an https://
 * store is exit 2. The server is the ClickHouse HTTP harness on chDB,
 * serving the test certificate of tests/fixtures/tls.
 */
import assert from "node:assert/strict";
import { startClickHouseHttp } from "../harness/clickhouse_http.ts";
import { EVENTS, ndjson } from "./_fixtures.ts";
import { sink } from "./_run.ts";
import { toStoreError } from "../../stages/sink/store.ts";

const CA = new URL("../fixtures/tls/ca.pem", import.meta.url).pathname;

Deno.test("sink --ca: stores into and queries an https:// ClickHouse whose certificate a private CA issued; without --ca nothing is stored", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sink_https_" });
  const ch = await startClickHouseHttp({ dir, tls: true });
  const out = `https://default:@localhost:${ch.port}/sentinel`;
  try {
    // A certificate nobody trusts: stop at once (no back-off retries, which
    // cannot help), naming the fix.
    const untrusted = await sink([
      "--out",
      out,
      "--create-schema",
      "--summary",
      "none",
    ], ndjson(EVENTS));
    assert.equal(untrusted.code, 1);
    assert.match(
      untrusted.stderr,
      /UNABLE_TO_VERIFY_LEAF_SIGNATURE\): the server's TLS certificate is not trusted; .* --ca FILE/,
    );
    assert.doesNotMatch(untrusted.stderr, /retrying/);

    const r = await sink([
      "--out",
      out,
      "--ca",
      CA,
      "--create-schema",
      "--summary",
      "text",
    ], ndjson(EVENTS));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`events stored: ${EVENTS.length}`));

    const q = await sink([
      "query",
      "--out",
      out,
      "--ca",
      CA,
      "--format",
      "json",
      "SELECT count() AS n FROM sentinel.events FINAL",
    ]);
    assert.equal(q.code, 0, q.stderr);
    assert.equal(Number(JSON.parse(q.stdout).n), EVENTS.length);
  } finally {
    await ch.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("sink --ca with a store that is not https:// is a usage error", async () => {
  for (const out of ["chdb:./nowhere", "-", "http://127.0.0.1:1/sentinel"]) {
    const r = await sink(["--out", out, "--ca", CA], "");
    assert.equal(r.code, 2, `${out}: ${r.stderr}`);
    assert.match(
      r.stderr,
      /--ca applies to an https:\/\/ ClickHouse server only/,
    );
  }
});

Deno.test("a certificate that does not name the host says so (not --ca, which cannot help); both stop the sink", () => {
  const named = Object.assign(new Error("Hostname/IP does not match"), {
    code: "ERR_TLS_CERT_ALTNAME_INVALID",
  });
  const e = toStoreError(named);
  assert.equal(e.kind, "fatal");
  assert.match(e.message, /does not name the host in the URL/);
  assert.doesNotMatch(e.message, /--ca/);
  const untrusted = toStoreError(
    Object.assign(new Error("self-signed certificate in certificate chain"), {
      code: "SELF_SIGNED_CERT_IN_CHAIN",
    }),
  );
  assert.equal(untrusted.kind, "fatal");
  assert.match(untrusted.message, /--ca FILE/);
});
