/**
 * Password spraying and SSH brute force from the generator's scenarios,
 * end to end (`sentinel-generator | sentinel-parser | sentinel-detector`):
 * each raises its own technique, not both from the same failures.
 */
import assert from "node:assert/strict";
import { runPipe } from "../../../scripts/pipe.ts";

async function alertTitles(inject: string): Promise<string[]> {
  const r = await runPipe([
    {
      bin: "sentinel-generator",
      args: [
        "--dry-run",
        "--seed",
        "p1",
        "--start",
        "2026-11-24T10:00:00Z",
        "--rate",
        "0",
        "--count",
        "20000",
        "--inject",
        inject,
      ],
    },
    { bin: "sentinel-parser", args: [] },
    {
      bin: "sentinel-detector",
      args: ["--rules", "./sigma", "--anomaly", "off"],
    },
  ]);
  for (const s of r.stages) assert.equal(s.code, 0, `${s.bin}: ${s.stderr}`);
  return new TextDecoder().decode(r.stdout).split("\n")
    .filter((l) => l.includes('"record":"alert"'))
    .map((l) => (JSON.parse(l) as { rule: { title: string } }).rule.title)
    .sort();
}

Deno.test("password_spray via ssh raises Password Spraying, not SSH Brute Force Attempts", async () => {
  const titles = await alertTitles("password_spray:via=ssh,at=5");
  assert.deepEqual(titles, ["Password Spraying"]);
});

Deno.test("brute_force_ssh still raises SSH Brute Force Attempts (and the breach), not Password Spraying", async () => {
  const titles = await alertTitles("brute_force_ssh:at=5");
  assert.ok(titles.includes("SSH Brute Force Attempts"), titles.join(", "));
  assert.ok(!titles.includes("Password Spraying"), titles.join(", "));
});

Deno.test("a source guessing eight accounts five times each (under both per-account and spray thresholds) raises SSH Failed Logins From One Source, once", async () => {
  const lines: string[] = [];
  for (let i = 0; i < 40; i++) {
    const s = String(i).padStart(2, "0");
    lines.push(
      `Nov 24 10:00:${s} web-01 sshd[${900 + i}]: Failed password for ` +
        `user${i % 8} from 203.0.113.77 port ${40000 + i} ssh2`,
    );
  }
  const r = await runPipe([
    { bin: "sentinel-parser", args: ["--in-format", "lines"] },
    {
      bin: "sentinel-detector",
      args: ["--rules", "./sigma", "--anomaly", "off"],
    },
  ], { input: new TextEncoder().encode(lines.join("\n") + "\n") });
  for (const s of r.stages) assert.equal(s.code, 0, `${s.bin}: ${s.stderr}`);
  const titles = new TextDecoder().decode(r.stdout).split("\n")
    .filter((l) => l.includes('"record":"alert"'))
    .map((l) => (JSON.parse(l) as { rule: { title: string } }).rule.title);
  assert.deepEqual(titles, ["SSH Failed Logins From One Source"]);
});
