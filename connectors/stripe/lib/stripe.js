import { createHmac, timingSafeEqual } from 'node:crypto'

// What every Stripe event shares: creating, checking and deleting the webhook endpoint, verifying
// the Stripe-Signature header, and turning a Stripe event into connector events.

export const DAY_MS = 24 * 60 * 60 * 1000
// stripe-node's DEFAULT_TOLERANCE: deliveries signed more than 5 minutes away from now are replays.
export const DEFAULT_TOLERANCE_SECONDS = 300

// POST /v1/webhook_endpoints, form-encoded as Stripe's API expects (arrays as `name[]`). The signing
// secret (whsec_...) is returned only by this call, so it goes into the state.
export async function createEndpoint(apiClient, webhookUri, enabledEvents, { description, apiVersion } = {}) {
  const form = new URLSearchParams({ url: webhookUri })
  for (const type of enabledEvents) form.append('enabled_events[]', type)
  if (description) form.append('description', description)
  if (apiVersion) form.append('api_version', apiVersion)
  const endpoint = await apiClient.post('/v1/webhook_endpoints', form)
  if (!endpoint?.id || !endpoint?.secret) throw new Error('Stripe returned no webhook endpoint id or secret')
  return {
    state: { webhookEndpointId: endpoint.id, secret: endpoint.secret },
    nextRefreshTimestamp: Date.now() + DAY_MS,
  }
}

// Endpoints never expire, but Stripe disables one that keeps failing, and a user may delete it in
// the Dashboard. Once a day: re-enable it (and point it at the current webhook URI), or recreate it.
export async function checkEndpoint(apiClient, state, webhookUri, enabledEvents, options) {
  const path = `/v1/webhook_endpoints/${state.webhookEndpointId}`
  let endpoint
  try {
    endpoint = await apiClient.get(path)
  } catch (error) {
    if (error.response?.status !== 404) throw error
    return createEndpoint(apiClient, webhookUri, enabledEvents, options)
  }
  const update = new URLSearchParams()
  if (endpoint.status === 'disabled') update.append('disabled', 'false')
  if (endpoint.url !== webhookUri) update.append('url', webhookUri)
  if (update.toString() !== '') await apiClient.post(path, update)
  return { nextRefreshTimestamp: Date.now() + DAY_MS }
}

// DELETE /v1/webhook_endpoints/{id}; an endpoint already deleted (404) is as good as deleted.
export async function deleteEndpoint(apiClient, state) {
  if (!state?.webhookEndpointId) return
  try {
    await apiClient.delete(`/v1/webhook_endpoints/${state.webhookEndpointId}`)
  } catch (error) {
    if (error.response?.status !== 404) throw error
  }
}

// `Stripe-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>...][,v0=<hex>]`. v1 is the hex
// HMAC-SHA256 of `${t}.${rawBody}` keyed with the whole whsec_... secret; any v1 may match (Stripe
// sends one per active secret while a secret is rolled); v0 (legacy test mode) is ignored.
// Returns null when the delivery is genuine, else why not.
export function signatureProblem({ header, rawBody, secret, toleranceSeconds, nowSeconds }) {
  if (!header) return 'missing Stripe-Signature header'
  let timestamp = NaN
  const signatures = []
  for (const item of header.split(',')) {
    const at = item.indexOf('=')
    const [key, value] = [item.slice(0, at).trim(), item.slice(at + 1).trim()]
    if (key === 't') timestamp = Number(value)
    if (key === 'v1') signatures.push(value)
  }
  if (!Number.isInteger(timestamp) || signatures.length === 0) return 'unable to extract timestamp and v1 signatures from header'
  const expected = Buffer.from(createHmac('sha256', secret).update(`${timestamp}.${rawBody}`).digest('hex'))
  const found = signatures.some((given) => {
    const bytes = Buffer.from(given)
    return bytes.length === expected.length && timingSafeEqual(bytes, expected)
  })
  if (!found) return 'no signature matches the expected signature for the payload'
  const tolerance = toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS
  if (tolerance > 0 && Math.abs(nowSeconds - timestamp) > tolerance) return 'timestamp outside the tolerance zone'
  return null
}

// The common part of every handle: verify, then map the Stripe event with `toEvents`.
export function handleDelivery({ headers, rawBody, data, state, parameters }, toEvents) {
  const problem = signatureProblem({
    header: headers['stripe-signature'],
    rawBody,
    secret: state.secret,
    toleranceSeconds: parameters?.toleranceSeconds,
    nowSeconds: Math.floor(Date.now() / 1000),
  })
  if (problem) return { events: [], response: { status: 400, data: { error: `Webhook Error: ${problem}` } } }
  const event = data ?? JSON.parse(rawBody)
  // Stripe only needs a 2xx; its own examples answer {received: true}.
  return { events: toEvents(event), response: { status: 200, data: { received: true } } }
}

// `<object>.created|updated|deleted` (customer.created, customer.subscription.updated, price.deleted,
// ...) is a record event of `data.object`; any other Stripe event (invoice.paid,
// payment_intent.succeeded, ...) a payload event of that type carrying the whole Stripe event.
export function recordOrPayload(event) {
  const object = event?.data?.object
  const action = String(event?.type ?? '').split('.').pop()
  if (['created', 'updated', 'deleted'].includes(action) && typeof object?.id === 'string') {
    return { type: action, record: { ...object, id: object.id } }
  }
  return { type: event?.type ?? 'unknown', payload: event }
}
