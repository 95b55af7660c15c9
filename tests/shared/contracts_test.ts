import assert from "node:assert/strict";
import { generateTypes } from "../../scripts/gen_types.ts";
import { validateRecord } from "../../stages/shared/contracts/mod.ts";

const root = new URL("../../", import.meta.url).pathname;

Deno.test("generated TypeScript types match the JSON Schemas", async () => {
  const fresh = await generateTypes(`${root}schemas`);
  const tmp = await Deno.makeTempFile({ suffix: ".ts" });
  await Deno.writeTextFile(tmp, fresh);
  await new Deno.Command(Deno.execPath(), { args: ["fmt", "-q", tmp] })
    .output();
  const committed = await Deno.readTextFile(
    `${root}stages/shared/contracts/types.gen.ts`,
  );
  assert.deepEqual(
    committed,
    await Deno.readTextFile(tmp),
    "types.gen.ts is stale: run `deno task gen-types`",
  );
});

/** A valid raw event. */
const RAW = {
  record: "raw_event",
  event_id: "0b7f3f3e-3f5d-4c8e-9a55-2f3e1c1d2b11",
  received_at: "2026-11-24T10:00:00.000Z",
  tenant: "default",
  source_name: "sshd",
  transport: "stdin",
  ingest_node: "n1",
  payload: "x",
};

Deno.test("a raw event without its payload is rejected with the field named", () => {
  const { payload: _, ...noPayload } = RAW;
  assert.deepEqual(validateRecord(noPayload), [
    "(root) must have required property 'payload'",
  ]);
});

Deno.test("records with a bad timestamp, id or IP are still rejected, the field named", () => {
  const ok = RAW;
  assert.equal(validateRecord(ok), null);
  assert.equal(
    validateRecord({ ...ok, received_at: "2016-12-31T23:59:60.000Z" }),
    null,
    "a leap second is a valid RFC 3339 time",
  );
  const bad = (patch: Record<string, unknown>) =>
    (validateRecord({ ...ok, ...patch }) ?? []).join("; ");
  assert.match(
    bad({ received_at: "2023-02-29T10:00:00.000Z" }),
    /\/received_at must match format "date-time"/,
  );
  assert.match(
    bad({ event_id: "0b7f3f3e-3f5d-4c8e-9a55-2f3e1c1d2b1g" }),
    /\/event_id must match format "uuid"/,
  );
  const enriched = validateRecord({
    ...ok,
    record: "enriched_event",
    ts: "2026-11-24T10:00:00.000Z",
    ts_source: "event",
    category: "network",
    action: "connection",
    outcome: "success",
    severity: "low",
    source: { ip: "10.0.0.256" },
  });
  assert.ok(
    enriched?.some((e) => e.startsWith("/source/ip must match format")),
    JSON.stringify(enriched),
  );
});
