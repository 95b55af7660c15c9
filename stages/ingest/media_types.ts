/**
 * The request media types ingest accepts and how each frames its body: one
 * table read by the routes (415 for anything else) and by the OpenAPI
 * document, so the two cannot drift.
 */
import type { BodyKind } from "./event_input.ts";

/** `POST /events`: one JSON value or one raw log line. */
export const SINGLE_TYPES: Readonly<Record<string, BodyKind>> = {
  "application/json": "json",
  "text/plain": "text",
};

/** `POST /events/batch`: a JSON array, NDJSON, or raw log lines. */
export const BATCH_TYPES: Readonly<Record<string, BodyKind>> = {
  "application/json": "json",
  "application/x-ndjson": "ndjson",
  "application/ndjson": "ndjson",
  "application/jsonl": "ndjson",
  "text/plain": "text",
};
