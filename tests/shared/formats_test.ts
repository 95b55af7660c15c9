import assert from "node:assert/strict";
import {
  CONTRACT_FORMATS,
  quickDateTime,
  quickIpv4,
  quickIpv6,
  quickUuid,
  REFERENCE_FORMATS,
} from "../../stages/shared/contracts/formats.ts";

type Name = keyof typeof CONTRACT_FORMATS;

/** Chars a single-char edit puts in: digits, separators, letters, oddities. */
const EDITS = [
  ..."0123456789",
  ..."-:.TtZz +",
  ..."aAfFgG",
  "/",
  "é",
  "\n",
  "",
];

/** Every one-char replacement, deletion and insertion of `s`. */
function mutations(s: string): string[] {
  const out: string[] = [];
  for (let i = 0; i <= s.length; i++) {
    for (const c of EDITS) {
      if (i < s.length) out.push(s.slice(0, i) + c + s.slice(i + 1));
      if (c) out.push(s.slice(0, i) + c + s.slice(i));
    }
  }
  return out;
}

const SEEDS: Record<Name, string[]> = {
  "date-time": [
    "2026-11-24T10:00:00.000Z",
    "2024-02-29T23:59:59.999Z",
    "2023-02-28T00:00:00.000Z",
    "2000-02-29T12:30:45.678Z",
    "1900-02-28T01:02:03.004Z",
    "0000-01-01T00:00:00.000Z",
    "2016-12-31T23:59:60.000Z",
    "2026-11-24T10:00:00Z",
    "2026-11-24T10:00:00.123456Z",
    "2026-11-24T10:00:00.000+02:00",
    "2026-11-24t10:00:00.000z",
    "2026-11-24 10:00:00.000Z",
  ],
  uuid: [
    "0b7f3f3e-3f5d-4c8e-9a55-2f3e1c1d2b11",
    "0B7F3F3E-3F5D-4C8E-9A55-2F3E1C1D2B11",
    "urn:uuid:0b7f3f3e-3f5d-4c8e-9a55-2f3e1c1d2b11",
    "00000000-0000-0000-0000-000000000000",
  ],
  ipv4: [
    "10.0.0.5",
    "203.0.113.9",
    "255.255.255.255",
    "0.0.0.0",
    "192.168.001.1",
    "1.2.3",
  ],
  ipv6: [
    "2001:db8::1",
    "::1",
    "::",
    "fe80::1%eth0",
    "::ffff:10.0.0.5",
    "2001:0db8:0000:0000:0000:ff00:0042:8329",
    "10.0.0.5",
  ],
};

for (const name of Object.keys(SEEDS) as Name[]) {
  Deno.test(`format ${name}: same answer as ajv-formats on every seed and one-char edit`, () => {
    const validate = CONTRACT_FORMATS[name].validate;
    const reference = REFERENCE_FORMATS[name];
    // Every format's seeds are run through every format: IPv4 texts meet
    // the ipv6 check in the Ip anyOf, and so on.
    const inputs = new Set<string>();
    for (const seed of Object.values(SEEDS).flat()) {
      inputs.add(seed);
      for (const m of mutations(seed)) inputs.add(m);
    }
    let valid = 0;
    for (const s of inputs) {
      const expected = reference(s);
      assert.equal(
        validate(s),
        expected,
        `${name} ${JSON.stringify(s)}: ajv-formats says ${expected}`,
      );
      if (expected) valid++;
    }
    // The edits must reach both answers, or the comparison proves little.
    assert.ok(valid > 10 && valid < inputs.size - 10, `${valid} valid`);
  });
}

Deno.test("the quick checks decide the forms the stages write, without ajv-formats", () => {
  assert.equal(quickDateTime("2026-11-24T10:00:00.123Z"), true);
  assert.equal(quickDateTime(new Date(0).toISOString()), true);
  assert.equal(quickUuid(crypto.randomUUID()), true);
  assert.equal(quickIpv4("203.0.113.9"), true);
  assert.equal(quickIpv6("203.0.113.9"), false);
  // What they are not sure of is ajv-formats' to decide.
  assert.equal(quickDateTime("2016-12-31T23:59:60.000Z"), undefined);
  assert.equal(quickDateTime("2023-02-29T00:00:00.000Z"), undefined);
  assert.equal(quickUuid("0B7F3F3E-3F5D-4C8E-9A55-2F3E1C1D2B11"), undefined);
  assert.equal(quickIpv4("10.0.0.256"), undefined);
  assert.equal(quickIpv6("2001:db8::1"), undefined);
});
