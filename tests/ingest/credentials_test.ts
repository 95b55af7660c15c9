import assert from "node:assert/strict";
import {
  CredentialStore,
  parseAuthFile,
  parseTokenList,
} from "../../stages/ingest/credentials.ts";

Deno.test("credentials map secrets to tenants; unknown and prefix secrets do not match", () => {
  const store = new CredentialStore([
    { tenant: "acme", secret: "acme-secret-token-0001" },
    { tenant: "globex", secret: "globex-secret-token-01" },
  ]);
  assert.equal(store.match("acme-secret-token-0001"), "acme");
  assert.equal(store.match("globex-secret-token-01"), "globex");
  assert.equal(store.match("acme-secret-token-000"), undefined);
  assert.equal(store.match(""), undefined);
});

Deno.test("auth file and token list parse; bad ones say what is wrong", () => {
  assert.deepEqual(
    parseAuthFile('{"tenants":{"acme":["a-long-secret-000001"]}}'),
    [{ tenant: "acme", secret: "a-long-secret-000001" }],
  );
  assert.throws(() => parseAuthFile("{"), /not JSON/);
  assert.throws(() => parseAuthFile('{"acme":[]}'), /expected \{"tenants"/);
  assert.throws(
    () => parseAuthFile('{"tenants":{"acme":"x"}}'),
    /tenants.acme/,
  );
  assert.deepEqual(parseTokenList("acme:s1, globex:s2:x"), [
    { tenant: "acme", secret: "s1" },
    { tenant: "globex", secret: "s2:x" },
  ]);
  assert.throws(() => parseTokenList("nocolon"), /not tenant:secret/);
  // A bare secret given by mistake is never echoed into logs.
  for (const spec of ["acme:ok-secret,s3cr3t-bare-token", "acme:"]) {
    assert.throws(
      () => parseTokenList(spec),
      (e: Error) =>
        /entry \d is not tenant:secret/.test(e.message) &&
        !e.message.includes("s3cr3t") && !e.message.includes("ok-secret"),
    );
  }
  assert.throws(
    () => new CredentialStore([{ tenant: "acme", secret: "short" }]),
    /shorter than 16/,
  );
  assert.throws(
    () =>
      new CredentialStore([{ tenant: "bad tenant", secret: "x".repeat(20) }]),
    /invalid tenant/,
  );
});
