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

Deno.test("a raw event without its payload is rejected with the field named", () => {
  const errors = validateRecord({
    record: "raw_event",
    event_id: "0b7f3f3e-3f5d-4c8e-9a55-2f3e1c1d2b11",
    received_at: "2026-11-24T10:00:00.000Z",
    tenant: "default",
    source_name: "sshd",
    transport: "stdin",
    ingest_node: "n1",
  });
  assert.deepEqual(errors, ["(root) must have required property 'payload'"]);
});
