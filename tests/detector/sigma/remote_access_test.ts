/**
 * FTP connection bursts and Kerberized rlogin brute force, end to end on
 * the real Linux_2k.log: `sentinel-parser --in-format lines |
 * sentinel-detector --rules ./sigma`.
 */
import assert from "node:assert/strict";
import { alertsForLines, isFile, LINUX_2K } from "./_run.ts";

interface AlertOut {
  record: string;
  rule: { title: string };
  group?: Record<string, string>;
  evidence: { count: number };
}

const alertsFor = (input: Uint8Array) => alertsForLines<AlertOut>(input);

const line = (t: string, prog: string, msg: string) =>
  `Nov 24 ${t} combo ${prog}: ${msg}`;

Deno.test("FTP: 20 connections from one address within a minute alert; 19, or 20 from 20 addresses, do not", async () => {
  const lines: string[] = [];
  const at = (s: number) => `10:00:${String(s).padStart(2, "0")}`;
  for (let i = 0; i < 20; i++) {
    lines.push(line(
      at(i * 2),
      `ftpd[${100 + i}]`,
      `connection from 203.0.113.7 (scan.example.net) at Tue Nov 24 10:00:00 2026`,
    ));
  }
  for (let i = 0; i < 19; i++) {
    lines.push(line(
      at(i * 2),
      `ftpd[${200 + i}]`,
      `connection from 203.0.113.8 () at Tue Nov 24 10:00:00 2026`,
    ));
  }
  for (let i = 0; i < 20; i++) {
    lines.push(line(
      at(i),
      `ftpd[${300 + i}]`,
      `connection from 198.51.100.${i} () at Tue Nov 24 10:00:00 2026`,
    ));
  }
  const alerts = await alertsFor(
    new TextEncoder().encode(lines.join("\n") + "\n"),
  );
  assert.deepEqual(
    alerts.map((a) => [a.rule.title, a.group?.["source.ip"]]),
    [["FTP Connection Burst", "203.0.113.7"]],
  );
});

const available = isFile(LINUX_2K);

Deno.test({
  name: available
    ? "Linux_2k.log: the klogind brute force from 163.27.187.39 and the FTP bursts alert"
    : "Linux_2k.log: IGNORED because ../shared/datasets/logs/Linux_2k.log is not beside the repo",
  ignore: !available,
  async fn() {
    const alerts = await alertsFor(await Deno.readFile(LINUX_2K));
    const klogin = alerts.filter((a) =>
      a.rule.title === "Kerberized rlogin Brute Force"
    );
    assert.deepEqual(klogin.map((a) => a.group?.["source.ip"]), [
      "163.27.187.39",
    ]);
    const ftp = new Set(
      alerts.filter((a) => a.rule.title === "FTP Connection Burst")
        .map((a) => a.group?.["source.ip"]),
    );
    // 28 sources open 20+ control connections within a minute; the busiest
    // (30) is 83.116.207.11.
    assert.equal(ftp.size, 28, JSON.stringify([...ftp]));
    assert.ok(ftp.has("83.116.207.11"));
  },
});
