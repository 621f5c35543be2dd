// Runs every case of cases.mjs through the vendor's engine (`buildValue` of @membranehq/sdk, the
// version pinned in package.json) and writes expected.json, which runtime/tests/mapping.rs checks
// runtime::mapping::evaluate against.
//
//   cd runtime/tests/mapping && npm ci && node generate.mjs
//
// Each entry: {name, template, variables, expected} where expected is {value: <JSON>}, or
// {undefined: true} when the template yields nothing, or {throws: "<message>"}.
// Templates and variables go through JSON first, so both engines see the same data.

import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';
import cases from './cases.mjs';

// The SDK sets this itself before parsing dates; set it first so every case sees UTC.
process.env.TZ = 'UTC';

const require = createRequire(import.meta.url);
const { buildValue } = require('@membranehq/sdk');

const names = new Set();
const out = cases.map(({ name, template, variables = {} }) => {
  if (names.has(name)) throw new Error(`duplicate case name: ${name}`);
  names.add(name);
  const json = (v) => JSON.parse(JSON.stringify(v));
  const entry = { name, template: json(template), variables: json(variables) };
  let expected;
  try {
    // buildValue may rewrite its template ($formula): give it its own copy.
    const result = buildValue(json(template), json(variables));
    const text = JSON.stringify(result);
    expected = text === undefined ? { undefined: true } : { value: JSON.parse(text) };
  } catch (e) {
    expected = { throws: String(e && e.message) };
  }
  return { ...entry, expected };
});

const lines = out.map((c) => '  ' + JSON.stringify(c));
writeFileSync(new URL('./expected.json', import.meta.url), '[\n' + lines.join(',\n') + '\n]\n');
console.log(`${out.length} cases written to expected.json`);
