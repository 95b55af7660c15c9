/**
 * The baseline stage for throughput comparisons: the shared runner with an
 * identity core, so every record is JSON-parsed and JSON-stringified once,
 * exactly the work any stage does before its own logic.
 *
 *   deno run -A bench/passthrough.ts < in.ndjson > out.ndjson
 */
import { createLogger } from "../stages/shared/log.ts";
import { RECORD_TYPES } from "../stages/shared/records.ts";
import { runTransform } from "../stages/shared/runner.ts";
import type { Transform } from "../stages/shared/stage.ts";

/** Emits every record unchanged (re-serialized). */
export const passthrough: Transform = {
  accepts: RECORD_TYPES,
  push(record, out) {
    out.emit(record);
  },
};

if (import.meta.main) {
  await runTransform({
    stage: "parser",
    transform: passthrough,
    logger: createLogger("passthrough", "info"),
  });
}
