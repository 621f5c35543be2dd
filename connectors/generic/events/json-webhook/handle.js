import { createHmac, timingSafeEqual } from 'node:crypto'

// Turns each JSON delivery into one event: a `created` record event when the body has the
// configured id field, else the body as a payload event. With a secret, the signature is checked.
export default async function handle({ data, rawBody, headers, parameters }) {
  if (data === null || data === undefined) return { response: { status: 200 } } // a URL check (GET, HEAD, empty POST)
  if (parameters.secret) {
    const expected = 'sha256=' + createHmac('sha256', parameters.secret).update(rawBody).digest('hex')
    const given = headers['x-signature-256'] ?? ''
    const valid = given.length === expected.length && timingSafeEqual(Buffer.from(given), Buffer.from(expected))
    if (!valid) return { response: { status: 401, data: { error: 'invalid signature' } } }
  }
  const id = parameters.idField ? data?.[parameters.idField] : undefined
  const event = id === undefined || id === null ? data : { type: 'created', record: { ...data, id: String(id) } }
  return { events: [event], response: { status: 200, data: { received: true } } }
}
