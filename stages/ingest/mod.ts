/**
 * sentinel-ingest: the HTTP API and syslog receivers that stamp incoming
 * events and hand them to events.raw.
 *
 * @module
 */
export {
  createIngestApp,
  DEFAULT_MAX_BATCH_BYTES,
  DEFAULT_MAX_EVENT_BYTES,
  INGEST_ROUTES,
  type IngestAppOptions,
} from "./app.ts";
export {
  type Credential,
  CredentialStore,
  parseAuthFile,
  parseTokenList,
} from "./credentials.ts";
export {
  type BodyKind,
  decodeBatch,
  type DecodeResult,
  decodeSingle,
  eventFromValue,
  type EventStamp,
} from "./event_input.ts";
export { DownstreamUnavailable, GroupCommitWriter } from "./group_commit.ts";
export { DEFAULT_MAX_JSON_DEPTH, exceedsJsonDepth } from "./json_depth.ts";
export { IngestMetrics } from "./metrics.ts";
export { openApiDocument } from "./openapi.ts";
export {
  type IngestServer,
  type IngestServerOptions,
  startIngestServer,
} from "./server.ts";
export {
  DEFAULT_MAX_SYSLOG_BYTES,
  syslogDatagramMessage,
  SyslogFrameDecoder,
} from "./syslog_framing.ts";
export {
  startSyslogReceivers,
  type SyslogReceivers,
} from "./syslog_receiver.ts";
