/**
 * Expands a Grafana panel's SQL the way Grafana and the ClickHouse datasource
 * plugin (grafana-clickhouse-datasource 4.x, `pkg/macros/macros.go`) do, so
 * the tests can run every dashboard query against chDB.
 *
 * Order as in Grafana: dashboard template variables are interpolated first
 * (frontend), then the plugin's macros (backend). Anything this expander does
 * not know throws, so a dashboard can never use a macro or variable format
 * the tests silently leave unexpanded.
 */

/** What a panel query sees at run time. */
export interface GrafanaQueryContext {
  /** Dashboard time range. */
  from: Date;
  to: Date;
  /** The panel's `$__interval` in ms (Grafana: range / max data points). */
  intervalMs: number;
  /** Template variable values (a multi-value or "All" variable has several). */
  variables: Record<string, string[]>;
}

/** Plugin macros this expander implements (the ones the dashboards may use). */
export const SUPPORTED_MACROS = [
  "timeFilter",
  "timeFilter_ms",
  "dateFilter",
  "fromTime",
  "toTime",
  "fromTime_ms",
  "toTime_ms",
  "timeInterval",
  "timeInterval_ms",
  "interval_s",
] as const;

const dateTime = (d: Date) => `toDateTime(${Math.floor(d.getTime() / 1000)})`;
const dateTime64 = (d: Date) => `fromUnixTimestamp64Milli(${d.getTime()})`;
const date = (d: Date) => `toDate('${d.toISOString().slice(0, 10)}')`;

/** Expands template variables, then plugin macros. */
export function expandGrafanaSql(
  sql: string,
  ctx: GrafanaQueryContext,
): string {
  return expandMacros(interpolateVariables(sql, ctx), ctx);
}

/**
 * Interpolates `$name`, `${name}` and `${name:format}` (formats: singlequote,
 * doublequote, csv, raw). Grafana's own `$__…` names are left to
 * {@link expandMacros}.
 */
export function interpolateVariables(
  sql: string,
  ctx: GrafanaQueryContext,
): string {
  return sql.replace(
    /\$\{([A-Za-z_]\w*)(?::(\w+))?\}|\$([A-Za-z_]\w*)/g,
    (match, braced: string | undefined, format: string | undefined, bare) => {
      const name = (braced ?? bare) as string;
      if (name.startsWith("__")) {
        if (format) {
          throw new Error(`${match}: formats on built-ins are unsupported`);
        }
        return match;
      }
      const values = ctx.variables[name];
      if (!values) throw new Error(`${match}: no template variable '${name}'`);
      switch (format ?? "raw") {
        case "singlequote":
          return values.map((v) => `'${v.replace(/['\\]/g, "\\$&")}'`).join(
            ",",
          );
        case "doublequote":
          return values.map((v) => `"${v.replace(/["\\]/g, "\\$&")}"`).join(
            ",",
          );
        case "csv":
        case "raw":
          if (values.length !== 1 && !format) {
            throw new Error(
              `${match}: multi-value variable needs a format (e.g. \${${name}:singlequote})`,
            );
          }
          return values.join(",");
        default:
          throw new Error(`${match}: unsupported variable format '${format}'`);
      }
    },
  );
}

/** Expands the ClickHouse plugin's `$__macro` and `$__macro(args)` forms. */
export function expandMacros(sql: string, ctx: GrafanaQueryContext): string {
  let out = "";
  let i = 0;
  while (i < sql.length) {
    const at = sql.indexOf("$__", i);
    if (at < 0) {
      out += sql.slice(i);
      break;
    }
    out += sql.slice(i, at);
    const name = /^\$__(\w+)/.exec(sql.slice(at))![1];
    let end = at + 3 + name.length;
    let args: string[] = [];
    if (sql[end] === "(") {
      const close = matchingParen(sql, end);
      args = splitArgs(sql.slice(end + 1, close));
      end = close + 1;
    }
    out += macro(name, args, ctx);
    i = end;
  }
  return out;
}

function macro(name: string, args: string[], ctx: GrafanaQueryContext): string {
  const one = () => {
    if (args.length !== 1) {
      throw new Error(`$__${name}: expected 1 argument, got ${args.length}`);
    }
    return args[0];
  };
  const intervalS = Math.max(Math.floor(ctx.intervalMs / 1000), 1);
  switch (name) {
    case "timeFilter": {
      const c = one();
      return `${c} >= ${dateTime(ctx.from)} AND ${c} <= ${dateTime(ctx.to)}`;
    }
    case "timeFilter_ms": {
      const c = one();
      return `${c} >= ${dateTime64(ctx.from)} AND ${c} <= ${
        dateTime64(ctx.to)
      }`;
    }
    case "dateFilter": {
      const c = one();
      return `${c} >= ${date(ctx.from)} AND ${c} <= ${date(ctx.to)}`;
    }
    case "fromTime":
      return dateTime(ctx.from);
    case "toTime":
      return dateTime(ctx.to);
    case "fromTime_ms":
      return dateTime64(ctx.from);
    case "toTime_ms":
      return dateTime64(ctx.to);
    case "timeInterval":
      return `toStartOfInterval(toDateTime(${one()}), INTERVAL ${intervalS} second)`;
    case "timeInterval_ms":
      return `toStartOfInterval(toDateTime64(${one()}, 3), INTERVAL ${
        Math.max(ctx.intervalMs, 1)
      } millisecond)`;
    case "interval_s":
      return String(intervalS);
    default:
      throw new Error(`unsupported Grafana macro $__${name}`);
  }
}

function matchingParen(s: string, open: number): number {
  let depth = 0;
  let quote: string | null = null;
  for (let i = open; i < s.length; i++) {
    const ch = s[i];
    if (quote) {
      if (ch === "\\") i++;
      else if (ch === quote) quote = null;
    } else if (ch === "'" || ch === '"' || ch === "`") quote = ch;
    else if (ch === "(") depth++;
    else if (ch === ")" && --depth === 0) return i;
  }
  throw new Error(`unbalanced parentheses after position ${open}`);
}

function splitArgs(s: string): string[] {
  const args: string[] = [];
  let depth = 0;
  let start = 0;
  let quote: string | null = null;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (quote) {
      if (ch === "\\") i++;
      else if (ch === quote) quote = null;
    } else if (ch === "'" || ch === '"' || ch === "`") quote = ch;
    else if (ch === "(") depth++;
    else if (ch === ")") depth--;
    else if (ch === "," && depth === 0) {
      args.push(s.slice(start, i).trim());
      start = i + 1;
    }
  }
  const last = s.slice(start).trim();
  if (last || args.length) args.push(last);
  return args;
}
