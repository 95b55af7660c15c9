/**
 * `rules lint` warns (never rejects) when a rule of a generic Sigma
 * category (webserver, proxy, firewall, dns) reads a field that neither the
 * mapping nor the EnrichedEvent schema knows: on parsed logs it can never
 * hold, and before this the lint said "100.00% ok" with no hint why the
 * rule stayed silent.
 */
import assert from "node:assert/strict";
import { loadRuleSet } from "../../../stages/detector/sigma/mod.ts";
import { unknownFieldWarnings } from "../../../stages/detector/sigma/lint.ts";
import { detector as run } from "./_run.ts";

function rule(id: string, logsource: string, selection: string): string {
  return `title: Rule ${id}
id: 60000000-0000-4000-8000-0000000000${id}
logsource: ${logsource}
detection:
  sel: ${selection}
  condition: sel
level: medium
`;
}

const FILES: Record<string, string> = {
  // cs-cookie: no access-log field and no mapping; cs-uri-query is mapped.
  "web_cookie.yml": rule(
    "01",
    "{ category: webserver }",
    "{ cs-uri-query|contains: 'cmd=', cs-cookie|contains: 'SESSIONID=' }",
  ),
  // Every name known: mapped W3C names, an EnrichedEvent path, fields.*.
  "web_known.yml": rule(
    "02",
    "{ category: webserver }",
    "{ cs-method: POST, url.path: /login, fields.http.version: HTTP/1.0 }",
  ),
  // A product's own keys (CloudTrail JSON): read from the payload by design.
  "aws_own_keys.yml": rule(
    "03",
    "{ product: aws, service: cloudtrail }",
    "{ eventSource: iam.amazonaws.com, eventName: CreateUser }",
  ),
  "proxy_extension.yml": rule(
    "04",
    "{ category: proxy }",
    "{ c-uri-extension: exe, c-useragent|contains: curl }",
  ),
};

async function withRules(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    for (const [name, text] of Object.entries(FILES)) {
      await Deno.writeTextFile(`${dir}/${name}`, text);
    }
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("unknownFieldWarnings names only the unknown fields of generic-category rules", async () => {
  await withRules(async (dir) => {
    const set = await loadRuleSet([dir]);
    assert.deepEqual(set.errors, []);
    const warnings = await unknownFieldWarnings(set);
    assert.deepEqual(
      warnings.map((w) => [w.file.split("/").pop(), w.fields]).sort(),
      [
        ["proxy_extension.yml", ["c-uri-extension"]],
        ["web_cookie.yml", ["cs-cookie"]],
      ],
    );
  });
});

Deno.test("unknownFieldWarnings: a --mapping entry for the name silences it", async () => {
  await withRules(async (dir) => {
    const set = await loadRuleSet([dir], {
      mappingDocs: [{ fieldmappings: { "cs-cookie": ["fields.cookie"] } }],
    });
    const warnings = await unknownFieldWarnings(set);
    assert.deepEqual(warnings.map((w) => w.fields), [["c-uri-extension"]]);
  });
});

Deno.test("rules lint prints a WARNING per such rule and still exits 0 at 100% ok", async () => {
  await withRules(async (dir) => {
    const r = await run(["rules", "lint", dir]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const warnings = r.stdout.split("\n").filter((l) =>
      l.startsWith("WARNING ")
    );
    assert.equal(warnings.length, 2, r.stdout);
    assert.match(
      warnings.join("\n"),
      /web_cookie\.yml \[60000000-0000-4000-8000-000000000001\] "Rule 01": field cs-cookie neither mapped/,
    );
    assert.match(
      r.stdout,
      /0 rejected \(100\.00% ok\); 2 rules read fields nothing fills/,
    );
    // --json keeps stdout for rejections only; the warnings go to stderr.
    const json = await run(["rules", "lint", "--json", dir]);
    assert.equal(json.code, 0, json.stderr);
    assert.equal(json.stdout, "");
    assert.match(
      json.stderr,
      /WARNING .*proxy_extension\.yml.*c-uri-extension/,
    );
  });
});
