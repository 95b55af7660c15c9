/**
 * Correlations versus Kafka partitioning. Enriched events are keyed by
 * `source.ip` (see `partitionKey` in stages/shared/io/kafka_config.ts), so
 * when several detector instances share a consumer group each sees only
 * some sources. A correlation grouped by `source.ip` still sees all of a
 * group's events in one instance; one grouped by anything else (user.name
 * for impossible travel, host.name, no group-by at all) sees each group
 * split across instances and may never reach its threshold (review A8).
 *
 * @module
 */
import type { RuleSet } from "./compile.ts";

/** Sigma field names that read the enriched `source.ip` (default mapping). */
const SOURCE_IP_NAMES = new Set([
  "source.ip",
  "SourceIp",
  "client.ip",
  "c-ip",
  "src_ip",
]);

/** A correlation whose groups span partitions when scaled out. */
export interface SplitCorrelation {
  id: string;
  title: string;
  groupBy: string[];
}

/**
 * The correlations that only work with one detector instance per topic
 * (or a partition key matching their group-by): those with no group-by
 * field reading `source.ip` for every referenced rule.
 */
export function correlationsSplitByPartitioning(
  set: RuleSet,
): SplitCorrelation[] {
  const out: SplitCorrelation[] = [];
  for (const c of set.correlations) {
    const keyed = c.groupFields.some((perRef) =>
      perRef.length > 0 && perRef.every((f) => SOURCE_IP_NAMES.has(f))
    );
    if (!keyed) {
      out.push({ id: c.meta.id, title: c.meta.title, groupBy: c.groupBy });
    }
  }
  return out;
}
