/**
 * The parser stage: real log formats to EnrichedEvents.
 *
 * @module
 */
export {
  createParser,
  FORMAT_HINTS,
  isFormatHint,
  parseRawEvent,
  type ParserOptions,
  ParserTransform,
} from "./parser.ts";
export { newState, type ParseState } from "./_event.ts";
export { IndicatorLookup } from "./lookup.ts";
export { BUILTIN_GEOIP_FILES, GeoIpTable, loadGeoIp } from "./geoip.ts";
export { canonicalIp, type IpClass, ipClass } from "./ip.ts";
export { parseTimestamp } from "./time.ts";
