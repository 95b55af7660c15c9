/**
 * `deno task demo`: runs the whole detection loop on one machine, no broker:
 *
 *   sentinel-generator --dry-run --rate 200 --duration 5 --inject brute_force_ssh --inject port_scan
 *     | sentinel-parser | sentinel-detector --rules ./sigma | sentinel-sink
 *
 * and ends with the sink's readable summary (events stored, alerts by rule,
 * dead letters). The data lands in the embedded chDB store ./sentinel-data,
 * explorable afterwards with `deno task sink query "SELECT …"`.
 */
import { parseArgs } from "node:util";
import { runPipe } from "./pipe.ts";

const { values } = parseArgs({
  options: {
    rate: { type: "string", default: "200" },
    duration: { type: "string", default: "5" },
    store: { type: "string", default: "chdb:./sentinel-data" },
  },
});

const stages = [
  {
    bin: "sentinel-generator",
    args: [
      "--dry-run",
      "--rate",
      values.rate!,
      "--duration",
      values.duration!,
      "--inject",
      "brute_force_ssh",
      "--inject",
      "port_scan",
      "--log-level",
      "warn",
    ],
  },
  { bin: "sentinel-parser", args: ["--log-level", "warn"] },
  {
    bin: "sentinel-detector",
    args: ["--rules", "./sigma", "--log-level", "warn"],
  },
  {
    bin: "sentinel-sink",
    args: ["--out", values.store!, "--summary", "text", "--log-level", "warn"],
  },
];

console.error(
  `SentinelStream demo: ${
    stages.map((s) =>
      [
        s.bin,
        ...s.args.filter((a, i, all) =>
          a !== "--log-level" && all[i - 1] !== "--log-level"
        ),
      ].join(" ")
    )
      .join(" | ")
  }\n`,
);
const result = await runPipe(stages, { inheritStderr: true });
const failed = result.stages.filter((s) => s.code !== 0);
for (const s of failed) console.error(`${s.bin} exited with code ${s.code}`);
if (!failed.length) {
  console.error(
    `\nExplore the stored data:\n  deno task sink query "SELECT rule.title AS rule, kind, count() AS alerts FROM sentinel.alerts FINAL GROUP BY rule, kind ORDER BY alerts DESC" --out ${values.store}`,
  );
}
Deno.exit(failed.length ? 1 : 0);
