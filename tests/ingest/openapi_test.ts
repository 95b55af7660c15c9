/**
 * GET /openapi.json describes what the server does: real request bodies
 * validate against the document's schemas (ajv, JSON Schema 2020-12) exactly
 * when the server accepts them, the media types listed are the ones the
 * server accepts, and 404/405 are documented.
 */
import assert from "node:assert/strict";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { createIngestApp } from "../../stages/ingest/app.ts";
import { GroupCommitWriter } from "../../stages/ingest/group_commit.ts";
import { MemorySink, SSHD_FAILED } from "./_helpers.ts";

const app = createIngestApp({
  writer: new GroupCommitWriter(new MemorySink()),
  ingestNode: "ingest-test-01",
});
const doc = await (await app.request("/openapi.json")).json();

// The document is not itself a schema: strict off for its OpenAPI keywords.
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats.default(ajv);
ajv.addSchema(doc, "openapi");
/** A validator for the schema at `pointer` inside the document. */
const schemaAt = (...path: string[]) =>
  ajv.compile({
    $ref: "openapi#/" +
      path.map((p) => p.replaceAll("~", "~0").replaceAll("/", "~1")).join("/"),
  });
const requestSchema = (route: string, media: string) =>
  schemaAt("paths", route, "post", "requestBody", "content", media, "schema");

const validEvent = requestSchema("/events", "application/json");
const validBatch = requestSchema("/events/batch", "application/json");
const validError = schemaAt("components", "schemas", "Error");

async function postJson(path: string, body: unknown) {
  const res = await app.request(path, {
    method: "POST",
    body: JSON.stringify(body),
    headers: { "content-type": "application/json" },
  });
  await res.body?.cancel();
  return res.status;
}

const ACCEPTED: [string, unknown][] = [
  ["envelope with a string payload", { payload: SSHD_FAILED }],
  ["envelope with every field", {
    record: "raw_event",
    source_name: "sshd",
    format: "syslog",
    payload: { user: "root", action: "login" },
    ground_truth: { scenario: "brute_force_ssh", role: "attack" },
  }],
  ["bare object", { user: "root", action: "login", src_ip: "203.0.113.9" }],
  ["bare object with a nested payload-like field", { event: { payload: 1 } }],
  ["JSON string (a raw log line)", SSHD_FAILED],
];

const REFUSED: [string, unknown][] = [
  ["envelope with a number payload", { payload: 42 }],
  ["envelope with a null payload", { payload: null }],
  ["envelope with an unknown field", { payload: "x", severity: "high" }],
  ["envelope with an empty source_name", { payload: "x", source_name: "" }],
  ["envelope with ground_truth lacking scenario", {
    payload: "x",
    ground_truth: {},
  }],
  ["number", 42],
  ["null", null],
  ["array for a single event", [SSHD_FAILED]],
];

for (const [name, body] of [...ACCEPTED, ...REFUSED]) {
  Deno.test(`POST /events ${name}: the document's schema agrees with the server`, async () => {
    const status = await postJson("/events", body);
    const expectAccepted = ACCEPTED.some(([n]) => n === name);
    assert.equal(status, expectAccepted ? 202 : 400, `server status`);
    assert.equal(
      validEvent(body),
      expectAccepted,
      `schema: ${JSON.stringify(validEvent.errors)}`,
    );
  });
}

Deno.test("POST /events/batch: a mixed batch of accepted items validates; one refused item refuses it in both", async () => {
  const good = ACCEPTED.map(([, b]) => b);
  assert.equal(await postJson("/events/batch", good), 202);
  assert.ok(validBatch(good), JSON.stringify(validBatch.errors));
  for (
    const [name, bad] of REFUSED
  ) {
    const batch = [...good, bad];
    assert.equal(await postJson("/events/batch", batch), 400, name);
    assert.equal(validBatch(batch), false, name);
  }
  assert.equal(await postJson("/events/batch", []), 400, "empty batch");
  assert.equal(validBatch([]), false, "empty batch");
});

/** The media types the server accepts on `path`, from a 415's Accept-Post. */
async function serverMediaTypes(path: string): Promise<string[]> {
  const res = await app.request(path, {
    method: "POST",
    body: new TextEncoder().encode("x"),
    headers: { "content-type": "application/vnd.unknown" },
  });
  assert.equal(res.status, 415);
  assert.ok(validError(await res.json()));
  return res.headers.get("accept-post")!.split(", ").sort();
}

for (const path of ["/events", "/events/batch"]) {
  Deno.test(`POST ${path}: the document lists exactly the media types the server accepts`, async () => {
    const listed = Object.keys(doc.paths[path].post.requestBody.content).sort();
    assert.deepEqual(listed, await serverMediaTypes(path));
    assert.ok(doc.paths[path].post.responses["415"].headers["Accept-Post"]);
  });
}

Deno.test("NDJSON batches in every listed line-delimited media type are accepted", async () => {
  const content = doc.paths["/events/batch"].post.requestBody.content;
  const lineTypes = Object.keys(content).filter((t) =>
    t !== "application/json" && t !== "text/plain"
  );
  assert.deepEqual(lineTypes.sort(), [
    "application/jsonl",
    "application/ndjson",
    "application/x-ndjson",
  ]);
  for (const t of lineTypes) {
    const res = await app.request("/events/batch", {
      method: "POST",
      body: `{"payload":"a"}\n${JSON.stringify(SSHD_FAILED)}\n`,
      headers: { "content-type": t },
    });
    assert.equal(res.status, 202, t);
    assert.equal((await res.json()).accepted, 2, t);
  }
});

Deno.test("404 and 405 are documented, and the server's answers match them", async () => {
  const responses = doc.components.responses;
  assert.ok(responses.NotFound && responses.MethodNotAllowed);
  assert.ok(responses.MethodNotAllowed.headers.Allow);
  assert.match(doc.info.description, /404/);
  assert.match(doc.info.description, /405/);
  const missing = await app.request("/nowhere");
  assert.equal(missing.status, 404);
  assert.ok(validError(await missing.json()));
  const wrongMethod = await app.request("/events");
  assert.equal(wrongMethod.status, 405);
  assert.equal(wrongMethod.headers.get("allow"), "POST");
  assert.ok(validError(await wrongMethod.json()));
});

Deno.test("every $ref in the document resolves", () => {
  const refs = new Set<string>();
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === "object") {
      for (const [k, x] of Object.entries(v)) {
        if (k === "$ref" && typeof x === "string") refs.add(x);
        else walk(x);
      }
    }
  };
  walk(doc);
  for (const ref of refs) {
    let node: unknown = doc;
    for (const part of ref.replace(/^#\//, "").split("/")) {
      node = (node as Record<string, unknown> | undefined)?.[
        part.replaceAll("~1", "/").replaceAll("~0", "~")
      ];
    }
    assert.ok(node !== undefined, `unresolved ${ref}`);
  }
});
