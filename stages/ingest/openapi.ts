/**
 * The OpenAPI 3.1 description of the ingest HTTP API, served at
 * `GET /openapi.json`. Built from the same input schema the validator uses,
 * so the document cannot drift from what is enforced.
 */
import common from "../../schemas/common.schema.json" with { type: "json" };
import inputSchema from "./event_input.schema.json" with { type: "json" };
import { VERSION } from "../shared/version.ts";
import type { BodyKind } from "./event_input.ts";
import { BATCH_TYPES, SINGLE_TYPES } from "./media_types.ts";
import { ACCEPTED_ENCODINGS, CONTENT_CODINGS } from "./content_encoding.ts";

/** Limits shown in the document. */
export interface OpenApiLimits {
  maxEventBytes: number;
  maxBatchBytes: number;
  maxBatchEvents: number;
  maxDepth: number;
  authRequired: boolean;
  rateLimited: boolean;
}

function eventInputSchema(): Record<string, unknown> {
  const { $schema: _s, $id: _i, ...rest } = inputSchema as Record<
    string,
    unknown
  >;
  const props = { ...(rest.properties as Record<string, unknown>) };
  props.ground_truth = common.$defs.GroundTruth;
  return { ...rest, properties: props };
}

const errorRef = { $ref: "#/components/schemas/Error" };
const eventBodyRef = { $ref: "#/components/schemas/EventBody" };

/** A request body's `content`: each media type the route accepts, with the schema of how it frames the body. */
function contentOf(
  types: Readonly<Record<string, BodyKind>>,
  schemas: Partial<Record<BodyKind, unknown>>,
): Record<string, { schema: unknown }> {
  const content: Record<string, { schema: unknown }> = {};
  for (const [type, kind] of Object.entries(types)) {
    content[type] = { schema: schemas[kind] };
  }
  return content;
}

function errorResponse(description: string, headers?: Record<string, unknown>) {
  const r: Record<string, unknown> = {
    description,
    content: { "application/json": { schema: errorRef } },
  };
  if (headers) r.headers = headers;
  return r;
}

/** Builds the OpenAPI document. */
export function openApiDocument(
  limits: OpenApiLimits,
): Record<string, unknown> {
  const retryAfter = {
    "Retry-After": {
      description: "Seconds to wait before retrying.",
      schema: { type: "integer", minimum: 1 },
    },
  };
  const common4xx: Record<string, unknown> = {
    "400": errorResponse(
      "Malformed JSON, nesting deeper than the limit, an invalid event (field-level messages in `details`), or a compressed body that does not decode, truncated ones included (`undecodable_body`).",
    ),
    "413": errorResponse(
      "The body, compressed or decompressed, (or the batch's event count) is over the limit.",
    ),
    "415": errorResponse(
      "Content-Type missing or not accepted (or a charset other than UTF-8), or a Content-Encoding other than " +
        `${ACCEPTED_ENCODINGS} (\`unsupported_encoding\`).`,
      {
        "Accept-Post": {
          description: "The media types this operation accepts.",
          schema: { type: "string" },
        },
        "Accept-Encoding": {
          description:
            "With `unsupported_encoding`: the content codings accepted.",
          schema: { type: "string" },
        },
      },
    ),
    "503": errorResponse(
      "The downstream is unavailable, ingest is shutting down, or the body stopped arriving before its end (`body_unreadable`); the `message` says whether anything may have been accepted.",
      retryAfter,
    ),
    "500": { $ref: "#/components/responses/InternalError" },
  };
  if (limits.authRequired) {
    common4xx["401"] = errorResponse("Missing or invalid token / API key.");
    common4xx["403"] = errorResponse(
      "X-Tenant names a tenant other than the credential's.",
    );
  }
  if (limits.rateLimited) {
    common4xx["429"] = errorResponse(
      "Per-client rate limit exceeded.",
      retryAfter,
    );
  }
  const headerParams = [
    {
      name: "Content-Encoding",
      in: "header",
      description:
        "Compression of the body, as log shippers send it (e.g. Vector `compression`, Fluent Bit `compress gzip`). The size limits apply to the decompressed body too.",
      schema: { type: "string", enum: ["identity", ...CONTENT_CODINGS] },
    },
    {
      name: "X-Source-Name",
      in: "header",
      description:
        'Source name for events that do not name one (default "http").',
      schema: { type: "string", minLength: 1, maxLength: 256 },
    },
    {
      name: "X-Log-Format",
      in: "header",
      description: "Format hint for events that do not carry one.",
      schema: { type: "string", minLength: 1, maxLength: 64 },
    },
    {
      name: "X-Tenant",
      in: "header",
      description: limits.authRequired
        ? "Optional: must be the credential's tenant (403 otherwise); the events' tenant is the credential's."
        : 'Tenant of the events (default "default").',
      schema: { type: "string", minLength: 1, maxLength: 128 },
    },
  ];
  const security = limits.authRequired ? [{ bearer: [] }, { apiKey: [] }] : [];
  return {
    openapi: "3.1.0",
    info: {
      title: "SentinelStream ingest",
      version: VERSION,
      description:
        "Accepts security events over HTTP and hands them, stamped with an event id, receive time, tenant and ingest node, to the events.raw stream. A 202 means the events reached the downstream. Any path not listed here answers 404 (`NotFound`); a listed path with another method answers 405 with an `Allow` header (`MethodNotAllowed`).",
    },
    jsonSchemaDialect: "https://json-schema.org/draft/2020-12/schema",
    paths: {
      "/events": {
        post: {
          summary: "Send one event",
          operationId: "postEvent",
          security,
          parameters: headerParams,
          requestBody: {
            required: true,
            description:
              `At most ${limits.maxEventBytes} bytes, nesting at most ${limits.maxDepth} levels. A JSON object with a \`payload\` key is an envelope; any other JSON object is the payload itself; a JSON string or a text/plain body is a raw log line.`,
            content: contentOf(SINGLE_TYPES, {
              json: eventBodyRef,
              text: { type: "string", description: "One raw log line." },
            }),
          },
          responses: {
            "202": {
              description: "Accepted and handed downstream.",
              content: {
                "application/json": {
                  schema: { $ref: "#/components/schemas/EventAccepted" },
                },
              },
            },
            ...common4xx,
          },
        },
      },
      "/events/batch": {
        post: {
          summary: "Send many events at once (all or nothing)",
          operationId: "postEventBatch",
          security,
          parameters: headerParams,
          requestBody: {
            required: true,
            description:
              `At most ${limits.maxBatchBytes} bytes and ${limits.maxBatchEvents} events. One invalid event refuses the whole batch.`,
            content: contentOf(BATCH_TYPES, {
              json: {
                type: "array",
                minItems: 1,
                maxItems: limits.maxBatchEvents,
                items: eventBodyRef,
              },
              ndjson: {
                type: "string",
                description:
                  "One JSON event per line (each as an application/json item).",
              },
              text: {
                type: "string",
                description: "One raw log line per line.",
              },
            }),
          },
          responses: {
            "202": {
              description: "All events accepted and handed downstream.",
              content: {
                "application/json": {
                  schema: { $ref: "#/components/schemas/BatchAccepted" },
                },
              },
            },
            ...common4xx,
          },
        },
      },
      "/healthz": {
        get: {
          summary: "Liveness",
          responses: {
            "200": {
              description: "The process serves requests.",
              content: {
                "application/json": {
                  schema: { $ref: "#/components/schemas/Status" },
                },
              },
            },
          },
        },
      },
      "/readyz": {
        get: {
          summary: "Readiness: the downstream accepts events",
          responses: {
            "200": {
              description: "Ready.",
              content: {
                "application/json": {
                  schema: { $ref: "#/components/schemas/Status" },
                },
              },
            },
            "503": {
              description: "Downstream not ready or shutting down.",
              headers: retryAfter,
              content: {
                "application/json": {
                  schema: { $ref: "#/components/schemas/Status" },
                },
              },
            },
          },
        },
      },
      "/metrics": {
        get: {
          summary: "Prometheus metrics",
          responses: {
            "200": {
              description: "Prometheus text exposition format 0.0.4.",
              content: { "text/plain": { schema: { type: "string" } } },
            },
          },
        },
      },
      "/openapi.json": {
        get: {
          summary: "This document",
          responses: {
            "200": {
              description: "OpenAPI 3.1 document.",
              content: { "application/json": { schema: { type: "object" } } },
            },
          },
        },
      },
    },
    components: {
      schemas: {
        EventInput: eventInputSchema(),
        EventBody: {
          description:
            "One event: exactly one branch matches each body the server accepts, none matches one it refuses.",
          oneOf: [
            { $ref: "#/components/schemas/EventInput" },
            {
              type: "object",
              // An object with `payload` is an envelope (the first branch):
              // without this, an envelope would match both and fail oneOf,
              // and {"payload": 42} (refused) would match this one.
              not: { required: ["payload"] },
              description:
                "Any JSON object without a `payload` key, taken whole as the payload.",
            },
            { type: "string", description: "A raw log line." },
          ],
        },
        EventAccepted: {
          type: "object",
          properties: { event_id: { type: "string", format: "uuid" } },
          required: ["event_id"],
        },
        BatchAccepted: {
          type: "object",
          properties: {
            accepted: { type: "integer", minimum: 1 },
            event_ids: {
              type: "array",
              items: { type: "string", format: "uuid" },
            },
          },
          required: ["accepted", "event_ids"],
        },
        Status: {
          type: "object",
          properties: {
            status: { type: "string" },
            downstream: { type: "string" },
          },
          required: ["status"],
        },
        Error: {
          type: "object",
          properties: {
            error: { type: "string" },
            message: { type: "string" },
            details: {
              type: "array",
              items: {
                type: "object",
                properties: {
                  index: { type: "integer" },
                  line: { type: "integer" },
                  errors: { type: "array", items: { type: "string" } },
                },
              },
            },
          },
          required: ["error", "message"],
        },
      },
      responses: {
        NotFound: {
          description: "No route for this path.",
          content: { "application/json": { schema: errorRef } },
        },
        MethodNotAllowed: {
          description: "The path exists but not with this method.",
          headers: {
            Allow: {
              description: "The methods the path serves.",
              schema: { type: "string" },
            },
          },
          content: { "application/json": { schema: errorRef } },
        },
        InternalError: {
          description:
            "An unexpected failure inside ingest (a defect; please report it with the message).",
          content: { "application/json": { schema: errorRef } },
        },
      },
      securitySchemes: {
        bearer: { type: "http", scheme: "bearer" },
        apiKey: { type: "apiKey", in: "header", name: "X-API-Key" },
      },
    },
  };
}
