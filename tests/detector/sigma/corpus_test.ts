/**
 * The SigmaHQ corpus (../shared/sigmahq, ~3,800 rules) compiles: at least
 * 99 % of the rules, and every rejection carries a file and a reason.
 * Also checks that Windows EVTX JSON events route to SigmaHQ rules.
 */
import assert from "node:assert/strict";
import { loadRuleSet } from "../../../stages/detector/sigma/load.ts";
import { SigmaDetector } from "../../../stages/detector/sigma/engine.ts";
import { event } from "./_helpers.ts";

const CORPUS = new URL("../../../../shared/sigmahq/", import.meta.url);

let available = true;
try {
  Deno.statSync(CORPUS);
} catch {
  available = false;
}

Deno.test({
  name: available
    ? "SigmaHQ corpus: at least 99% of the rules compile"
    : "SigmaHQ corpus: IGNORED because ../shared/sigmahq is not beside the repo",
  ignore: !available,
  async fn() {
    const set = await loadRuleSet([CORPUS.pathname]);
    const compiled = set.rules.length + set.correlations.length + set.filters;
    const total = compiled + set.errors.length;
    const share = compiled / total;
    console.log(
      `SigmaHQ: ${total} documents, ${compiled} compiled (${
        (share * 100).toFixed(2)
      }%), ${set.errors.length} rejected`,
    );
    for (const e of set.errors) {
      console.log(
        `  rejected ${e.file.replace(CORPUS.pathname, "")} [${
          e.ruleId ?? "-"
        }]: ${e.reason}`,
      );
      assert.ok(e.file.length > 0 && e.reason.length > 10);
    }
    assert.ok(total > 3000, `expected the full corpus, found ${total}`);
    assert.ok(share >= 0.99, `only ${(share * 100).toFixed(2)}% compiled`);

    // A Sysmon process-creation event reaches the Windows process_creation rules.
    const det = new SigmaDetector(set);
    const titles: string[] = [];
    det.observe(
      event({
        format: "windows_evtx",
        payload: {
          Event: {
            System: {
              EventID: 1,
              Channel: "Microsoft-Windows-Sysmon/Operational",
              Computer: "ws-01",
            },
            EventData: {
              Image: "C:\\Windows\\System32\\whoami.exe",
              OriginalFileName: "whoami.exe",
              CommandLine: "whoami /all",
              ParentImage: "C:\\Windows\\System32\\cmd.exe",
              User: "CORP\\bob",
            },
          },
        },
      }),
      (a) => titles.push(a.rule.title),
    );
    assert.ok(
      titles.some((t) => /whoami/i.test(t)),
      `alerts: ${titles.join("; ")}`,
    );
    // The same event under another channel is not routed to Sysmon rules.
    const none: string[] = [];
    det.observe(
      event({
        payload: {
          Event: {
            System: { EventID: 1, Channel: "Application" },
            EventData: {
              Image: "C:\\Windows\\System32\\whoami.exe",
              CommandLine: "whoami /all",
            },
          },
        },
      }),
      (a) => none.push(a.rule.title),
    );
    assert.ok(
      !none.some((t) => /whoami/i.test(t)),
      `unexpected: ${none.join("; ")}`,
    );
  },
});
