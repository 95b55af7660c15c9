/**
 * `deno task eval` scores the Sigma detector as `sentinel-detector` runs it
 * (createSigmaDetector: the same suppression defaults), not a bare engine
 * that alerts on every matching event.
 */
import assert from "node:assert/strict";

const EVAL = new URL("../../../bench/eval.ts", import.meta.url).pathname;

interface Row {
  scenario: string;
  sigma: { alerts: number; rules: string[] };
}

Deno.test("eval --quick: a DNS tunnel scores one alert per rule, as the CLI raises, not one per long-label query", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", EVAL, "--quick", "--json"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const err = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, err);
  const report = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    scenarios: Row[];
  };
  const dns = report.scenarios.find((r) => r.scenario === "dns_tunneling");
  assert.ok(dns, "dns_tunneling scenario scored");
  // One ongoing tunnel: one Very Long Label alert and one volume alert.
  assert.ok(
    dns.sigma.alerts <= dns.sigma.rules.length,
    `${dns.sigma.alerts} alerts for ${dns.sigma.rules.join(", ")}`,
  );
});
