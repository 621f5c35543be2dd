// Regenerates expected.json from cases.js using the real Node.js `util.format`.
//
//   node host-api/tests/inspect/generate.mjs
//
// Each case is the source text of a console.log argument list; it is evaluated as `[<case>]` with a
// global (sloppy) eval, exactly as the Rust test evaluates it in QuickJS, and formatted with
// `util.format(...args)`, which is what `console.log` prints (minus the trailing newline).
import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';
import { format } from 'node:util';

const require = createRequire(import.meta.url);
const cases = require('./cases.js');

const globalEval = eval;
const seen = new Set();
const table = cases.map((source) => {
  if (seen.has(source)) throw new Error(`duplicate case: ${source}`);
  seen.add(source);
  const args = globalEval(`[${source}]`);
  return { case: source, expected: format(...args) };
});

const out = new URL('./expected.json', import.meta.url);
writeFileSync(out, `${JSON.stringify(table, null, 2)}\n`);
console.log(`wrote ${table.length} cases to ${out.pathname}`);
