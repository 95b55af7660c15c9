/**
 * Reading rule files from disk: a path is a file or a folder searched
 * recursively for `*.yml` / `*.yaml` (hidden entries skipped). Each file may
 * hold several YAML documents. YAML syntax errors become rule errors naming
 * the file, like any other rejection.
 *
 * @module
 */
import { parseAllDocuments } from "yaml";
import {
  type BuildOptions,
  buildRuleSet,
  type RuleSet,
  type SourceDoc,
} from "./compile.ts";

/**
 * Lists rule files under `path` (a file or a folder), sorted for
 * determinism. Symbolic links inside a folder are not followed (they could
 * leave the rules folder or loop); each is reported in `skipped` when given.
 */
export async function listRuleFiles(
  path: string,
  skipped?: { file: string; reason: string }[],
): Promise<string[]> {
  const st = await Deno.stat(path);
  if (st.isFile) return [path];
  const out: string[] = [];
  const walk = async (dir: string) => {
    const entries: Deno.DirEntry[] = [];
    for await (const e of Deno.readDir(dir)) entries.push(e);
    entries.sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
    for (const e of entries) {
      if (e.name.startsWith(".")) continue;
      const p = `${dir.replace(/\/+$/, "")}/${e.name}`;
      if (e.isDirectory) await walk(p);
      else if (e.isFile && /\.ya?ml$/i.test(e.name)) out.push(p);
      else if (e.isSymlink && skipped) {
        skipped.push({
          file: p,
          reason:
            "symbolic link not followed; copy the rule file into the rules folder",
        });
      }
    }
  };
  await walk(path);
  return out;
}

/** Parses one file's text into documents (syntax errors go to `errors`). */
export function parseRuleText(
  file: string,
  text: string,
  errors: { file: string; reason: string }[],
): SourceDoc[] {
  const out: SourceDoc[] = [];
  // Duplicate keys are errors: a second `selection:` silently replacing the
  // first would change what a reviewed rule detects (review A10).
  const docs = parseAllDocuments(text, { uniqueKeys: true });
  const list = Array.isArray(docs) ? docs : [docs];
  list.forEach((doc, index) => {
    if (doc.errors.length > 0) {
      errors.push({
        file,
        reason: `YAML error in document ${index + 1}: ${
          doc.errors[0].message.split("\n")[0]
        }`,
      });
      return;
    }
    try {
      out.push({ file, index, doc: doc.toJS({ maxAliasCount: 100 }) });
    } catch (e) {
      errors.push({
        file,
        reason: `YAML error in document ${index + 1}: ${(e as Error).message}`,
      });
    }
  });
  return out;
}

/**
 * Loads and compiles every rule under `paths`. Throws only when a path
 * cannot be read at all; rule problems are in `errors`.
 */
export async function loadRuleSet(
  paths: string[],
  opts: BuildOptions = {},
): Promise<RuleSet> {
  const docs: SourceDoc[] = [];
  const early: { file: string; reason: string }[] = [];
  for (const p of paths) {
    for (const f of await listRuleFiles(p, early)) {
      const text = await Deno.readTextFile(f);
      docs.push(...parseRuleText(f, text, early));
    }
  }
  const set = buildRuleSet(docs, opts);
  set.errors.unshift(...early);
  return set;
}
