/**
 * Severity normalization onto the Sigma level scale. Internally a severity
 * is its rank (0 informational … 4 critical) so the parser can take the
 * maximum of the source's level and the floor of the classified event.
 */
import type { Severity } from "../shared/contracts/mod.ts";

/** Severities by rank. */
export const SEVERITIES: readonly Severity[] = [
  "informational",
  "low",
  "medium",
  "high",
  "critical",
];

/** Rank of "no severity read from the source". */
export const NO_SEVERITY = -1;

/**
 * Syslog severity (PRI & 7): emerg/alert/crit → critical, err → high,
 * warning → medium, notice → low, info/debug → informational.
 */
export function severityFromSyslog(level: number): number {
  if (level <= 2) return 4;
  if (level === 3) return 3;
  if (level === 4) return 2;
  if (level === 5) return 1;
  return 0;
}

/**
 * CEF severity: 0–10 (0 informational, 1–3 low, 4–6 medium, 7–8 high,
 * 9–10 critical) or the words Unknown/Low/Medium/High/Very-High.
 */
export function severityFromCef(value: string): number {
  const n = Number(value);
  if (value !== "" && n === n) {
    if (n <= 0) return 0;
    if (n < 4) return 1;
    if (n < 7) return 2;
    if (n < 9) return 3;
    return 4;
  }
  const t = severityFromText(value);
  if (t !== NO_SEVERITY) return t;
  return value.toLowerCase() === "very-high" ? 4 : NO_SEVERITY;
}

/**
 * Windows event `Level`: 1 critical, 2 error → high, 3 warning → medium,
 * 4 information and 0 (LogAlways) → informational, 5 verbose → informational.
 */
export function severityFromWindowsLevel(level: number): number {
  switch (level) {
    case 1:
      return 4;
    case 2:
      return 3;
    case 3:
      return 2;
    default:
      return 0;
  }
}

const TEXT_LEVELS = new Map<string, number>([
  ["emerg", 4],
  ["emergency", 4],
  ["panic", 4],
  ["alert", 4],
  ["crit", 4],
  ["critical", 4],
  ["fatal", 4],
  ["very-high", 4],
  ["err", 3],
  ["error", 3],
  ["high", 3],
  ["severe", 3],
  ["warn", 2],
  ["warning", 2],
  ["medium", 2],
  ["notice", 1],
  ["low", 1],
  ["info", 0],
  ["information", 0],
  ["informational", 0],
  ["debug", 0],
  ["trace", 0],
  ["verbose", 0],
  ["unknown", NO_SEVERITY],
]);

/**
 * Free-text level (syslog names, log4j/Python levels, Sigma levels, Apache
 * `[error]`, `core:warn`), case-insensitive. Digits are read as syslog levels.
 */
export function severityFromText(value: string): number {
  let v = value.toLowerCase();
  const colon = v.lastIndexOf(":");
  if (colon >= 0) v = v.slice(colon + 1);
  const r = TEXT_LEVELS.get(v);
  if (r !== undefined) return r;
  if (v.length === 1 && v >= "0" && v <= "7") return severityFromSyslog(+v);
  return NO_SEVERITY;
}
