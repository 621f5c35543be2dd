import { createHmac, timingSafeEqual } from 'node:crypto'

// Three kinds of POST reach the webhook URI:
// - the handshake, while POST /webhooks is in flight: an X-Hook-Secret header that must be echoed
//   in a 200 (or 204) answer; the secret signs every later delivery;
// - deliveries: {"events": [...]} signed with X-Hook-Signature = hex HMAC-SHA256(secret, raw body);
// - heartbeats: a signed {"events": []}, answered 200 (a webhook that stops answering is deleted).
const RECORD_TYPES = {
  added: 'created',
  undeleted: 'created',
  changed: 'updated',
  removed: 'deleted',
  deleted: 'deleted',
}

export default async function handle({ headers, rawBody, data, state, apiClient }) {
  const handshakeSecret = headers['x-hook-secret']
  if (handshakeSecret) return handshake(handshakeSecret, state, apiClient)

  if (!state.secret || !validSignature(state.secret, rawBody, headers['x-hook-signature'])) {
    return { events: [], response: { status: 401, data: { error: 'invalid or missing X-Hook-Signature' } } }
  }

  const events = []
  for (const event of data?.events ?? []) {
    const type = RECORD_TYPES[event.action]
    if (event.resource?.resource_type !== 'task' || !type) continue // the filters ask for tasks only
    const record = { ...event.resource, id: String(event.resource.gid), action: event.action }
    if (event.change) record.change = event.change
    record.parent = event.parent ?? null
    record.user = event.user ?? null
    record.created_at = event.created_at
    events.push({ type, record })
  }
  return { events, response: { status: 200 } }
}

// Asana sends the handshake once, while a webhook is created: the first one (no secret stored yet) is
// kept, so that deliveries racing the end of subscribe verify. A handshake with another secret is
// either someone else's, or that of the webhook the service is re-creating because Asana deleted
// ours. Only Asana can tell: while the webhook our secret belongs to exists, it is refused (409).
// Once Asana says it is gone, the handshake is echoed so that the new webhook gets created, but its
// secret is NOT kept: subscribe takes it from Asana's answer to the create call. So no handshake
// can ever replace the signing key.
async function handshake(secret, state, apiClient) {
  const echo = { status: 200, headers: { 'X-Hook-Secret': secret } }
  if (!state.secret) return { events: [], state: { ...state, secret }, response: echo }
  if (sameText(secret, state.secret)) return { events: [], response: echo }
  if (await webhookExists(apiClient, state.webhookGid)) {
    return { events: [], response: { status: 409, data: { error: 'this webhook already completed its handshake' } } }
  }
  return { events: [], response: echo }
}

// GET /webhooks/{gid}: 200 while it exists, 404 once deleted. Any other failure is thrown, so that
// the handshake fails (Asana then refuses the create call, and the service retries it).
async function webhookExists(apiClient, gid) {
  if (!gid) return true
  try {
    await apiClient.get(`/webhooks/${gid}`)
    return true
  } catch (error) {
    if (error.response?.status === 404) return false
    throw error
  }
}

function validSignature(secret, rawBody, given) {
  if (typeof given !== 'string') return false
  const expected = createHmac('sha256', secret).update(rawBody).digest('hex')
  return sameText(given.toLowerCase(), expected)
}

function sameText(a, b) {
  const left = Buffer.from(a)
  const right = Buffer.from(b)
  return left.length === right.length && timingSafeEqual(left, right)
}
