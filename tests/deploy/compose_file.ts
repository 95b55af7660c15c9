/**
 * Reads `compose/docker-compose.yml` the way Docker Compose does, for the
 * deployment tests: YAML with merge keys, `${VAR:-default}` interpolation
 * (with an empty environment, so the defaults shipped in the file are what
 * is checked), short-syntax volumes and build targets.
 */
import { parse } from "yaml";

const root = new URL("../../", import.meta.url);

/** Path of the compose file, relative to the repo root. */
export const COMPOSE_PATH = "compose/docker-compose.yml";

// deno-lint-ignore no-explicit-any
export type Json = any;

/**
 * Compose variable interpolation: `$$` is a literal `$`; `${VAR:-default}`,
 * `${VAR-default}`, `${VAR}` and `$VAR` read `env`.
 */
export function interpolate(
  text: string,
  env: Record<string, string> = {},
): string {
  return text.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)-([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (m, braced, colon, dflt, bare) => {
      if (m === "$$") return "$";
      const name = braced ?? bare;
      const v = env[name];
      if (dflt !== undefined) {
        return (colon ? v : v ?? undefined) ? v! : dflt;
      }
      return v ?? "";
    },
  );
}

/** Loads and interpolates the compose file (defaults applied). */
export async function loadCompose(
  env: Record<string, string> = {},
): Promise<Json> {
  const text = await Deno.readTextFile(new URL(COMPOSE_PATH, root));
  return parse(interpolate(text, env), { merge: true });
}

/** A service's command as an argument list. */
export function commandArgs(service: Json): string[] {
  const c = service.command;
  if (c === undefined) return [];
  if (Array.isArray(c)) return c.map(String);
  return String(c).split(/\s+/).filter(Boolean);
}

/** A service's environment as a map (list or map syntax). */
export function environment(service: Json): Record<string, string> {
  const e = service.environment;
  if (!e) return {};
  if (Array.isArray(e)) {
    return Object.fromEntries(
      e.map((kv: string) => {
        const i = kv.indexOf("=");
        return i < 0 ? [kv, ""] : [kv.slice(0, i), kv.slice(i + 1)];
      }),
    );
  }
  return Object.fromEntries(
    Object.entries(e).map(([k, v]) => [k, v === null ? "" : String(v)]),
  );
}

/** One volume entry of a service. */
export interface VolumeMount {
  /** Host path (bind) or volume name. */
  source: string;
  target: string;
  bind: boolean;
}

/** A service's volumes (short and long syntax). */
export function volumes(service: Json): VolumeMount[] {
  return (service.volumes ?? []).map((v: Json) => {
    if (typeof v === "string") {
      const [source, target] = v.split(":");
      return {
        source,
        target,
        bind: /^(\.|\/|~)/.test(source),
      };
    }
    return {
      source: v.source,
      target: v.target,
      bind: v.type === "bind",
    };
  });
}

/** Resolves a path given relative to the compose file's folder. */
export function composeRelative(path: string): URL {
  return new URL(path, new URL(COMPOSE_PATH, root));
}
