/**
 * The serialized event: entities the record does not have never appear in
 * the NDJSON line (the in-memory event declares them as undefined so all
 * events share one shape), and the line round-trips to the same values.
 */
import assert from "node:assert/strict";
import { validateRecord } from "../../stages/shared/contracts/mod.ts";
import { parseOne } from "./_helpers.ts";

Deno.test("absent entities are left out of the serialized event", () => {
  const ev = parseOne(
    "Nov 24 10:00:00 web-01 sshd[42]: Failed password for root from 203.0.113.9 port 40000 ssh2",
  );
  const line = JSON.stringify(ev);
  const back = JSON.parse(line);
  for (const absent of ["dns", "url", "http", "file", "enrichment"]) {
    assert.ok(!line.includes(`"${absent}":`), `${absent} in ${line}`);
  }
  assert.ok(!("ground_truth" in back));
  assert.deepEqual(back.source, {
    ip: "203.0.113.9",
    ip_class: "public",
    port: 40000,
  });
  assert.equal(back.user.name, "root");
  assert.equal(validateRecord(back), null);
});

Deno.test("long substrings of a text payload serialize to the same text", () => {
  const ua =
    "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0";
  const ev = parseOne(
    `198.51.100.23 - alice [24/Nov/2026:10:00:00 +0000] "GET /static/js/application.bundle.js?v=20261124 HTTP/1.1" 200 8033 "https://www.example.com/account/settings" "${ua}"`,
  );
  const back = JSON.parse(JSON.stringify(ev));
  assert.equal(back.http.user_agent, ua);
  assert.equal(
    back.http.request.referrer,
    "https://www.example.com/account/settings",
  );
  assert.equal(back.url.path, "/static/js/application.bundle.js");
  assert.equal(back.url.query, "v=20261124");
  assert.equal(back.source.ip, "198.51.100.23");
  assert.equal(back.ts, "2026-11-24T10:00:00.000Z");
});
