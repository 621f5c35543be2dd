// Produces tests/node/<area>.expected.json from tests/node/<area>.cases.mjs by running every case
// under the machine's Node.js, the reference implementation the host API must agree with.
// Usage: node host-api/tests/node/generate.mjs [area...]
// A cases file default-exports [{ name, code }]: `code` is the body of an async function returning
// a JSON-able value. The host's extra globals (createHmac, createHash) are set up as in a sandbox.
import { readdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import crypto from 'node:crypto'

globalThis.createHmac = crypto.createHmac
globalThis.createHash = crypto.createHash
const AsyncFunction = (async () => {}).constructor
const here = dirname(fileURLToPath(import.meta.url))
const wanted = process.argv.slice(2)
for (const file of readdirSync(here).filter((f) => f.endsWith('.cases.mjs')).sort()) {
  const area = file.replace('.cases.mjs', '')
  if (wanted.length && !wanted.includes(area)) continue
  const { default: cases } = await import(pathToFileURL(join(here, file)))
  const out = []
  for (const { name, code } of cases) {
    try {
      const value = await new AsyncFunction(code)()
      out.push({ name, code, expected: JSON.parse(JSON.stringify(value ?? null)) })
    } catch (e) {
      out.push({ name, code, error: `${e.name}: ${e.message}` })
    }
  }
  writeFileSync(join(here, `${area}.expected.json`), JSON.stringify(out, null, 2) + '\n')
  console.log(`${area}: ${out.length} cases`)
}
