import { createHmac, timingSafeEqual } from 'node:crypto'
import { ConnectionError, ConnectionErrorKey } from '@integration-app/sdk'

// slack_sdk's SignatureVerifier and bolt refuse requests signed more than 5 minutes from now.
export const DEFAULT_TOLERANCE_SECONDS = 300

// `X-Slack-Signature: v0=<hex>` is the hex HMAC-SHA256 of `v0:<X-Slack-Request-Timestamp>:<raw body>`
// keyed with the app's Signing Secret. Returns null when the request is genuine, else why not.
export function signatureProblem({ headers, rawBody, signingSecret, toleranceSeconds, nowSeconds }) {
  const timestamp = headers['x-slack-request-timestamp']
  const signature = headers['x-slack-signature']
  if (!timestamp || !signature) return 'missing X-Slack-Request-Timestamp or X-Slack-Signature'
  if (!/^\d+$/.test(timestamp)) return 'invalid X-Slack-Request-Timestamp'
  const tolerance = toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS
  if (tolerance > 0 && Math.abs(nowSeconds - Number(timestamp)) > tolerance) return 'stale X-Slack-Request-Timestamp'
  const expected = Buffer.from(`v0=${createHmac('sha256', signingSecret).update(`v0:${timestamp}:${rawBody}`).digest('hex')}`)
  const given = Buffer.from(signature)
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'invalid X-Slack-Signature'
  return null
}

// The installations an event_callback is for, as selectors: `enterprise:<E>` for an org-wide
// (Enterprise Grid) install, else `team:<T>`. Slack lists the installation it delivers for in
// `authorizations` (truncated to one); the envelope's team_id is the workspace where the event
// happened (another one for Slack Connect channels), and its enterprise_id the Grid org, which an
// org-wide install also covers. Every one of them may hold a subscription; each is routed once.
export function installationSelectors(envelope) {
  const selectors = new Set()
  for (const authorization of envelope.authorizations ?? []) {
    if (authorization.is_enterprise_install && authorization.enterprise_id) selectors.add(`enterprise:${authorization.enterprise_id}`)
    else if (authorization.team_id) selectors.add(`team:${authorization.team_id}`)
  }
  if (envelope.team_id) selectors.add(`team:${envelope.team_id}`)
  if (envelope.enterprise_id) selectors.add(`enterprise:${envelope.enterprise_id}`)
  return [...selectors]
}

// The selector of the installation a bot token belongs to, from auth.test. Slack answers errors with
// HTTP 200 and `{ok: false, error}`.
export async function installationOf(apiClient) {
  const me = await apiClient.post('auth.test')
  if (!me?.ok) {
    const error = me?.error ?? 'unknown_error'
    const defunct = ['invalid_auth', 'not_authed', 'account_inactive', 'token_revoked', 'token_expired']
    throw new ConnectionError({
      message: `Slack auth.test failed: ${error}`,
      key: error === 'token_expired' ? ConnectionErrorKey.ACCESS_TOKEN_EXPIRED
        : defunct.includes(error) ? ConnectionErrorKey.CONNECTION_IS_DEFUNCT : undefined,
      data: me,
    })
  }
  if (me.is_enterprise_install && me.enterprise_id) return `enterprise:${me.enterprise_id}`
  if (!me.team_id) throw new ConnectionError({ message: 'Slack auth.test returned no team_id', data: me })
  return `team:${me.team_id}`
}

// A Slack `message` event as a record event of the message, identified by channel and ts (a ts is
// unique within its channel only). Edits (message_changed) and thread bookkeeping (message_replied)
// carry the message as it is now; message_deleted names the deleted ts.
export function messageRecordEvent(event) {
  const channel = event.channel
  switch (event.subtype) {
    case 'message_changed':
    case 'message_replied':
      if (!event.message?.ts) return null
      return { type: 'updated', record: { ...event.message, id: `${channel}:${event.message.ts}`, channel } }
    case 'message_deleted':
      return { type: 'deleted', record: { id: `${channel}:${event.deleted_ts}`, channel, ts: event.deleted_ts } }
    default:
      if (!event.ts) return null
      return { type: 'created', record: { ...event, id: `${channel}:${event.ts}`, channel } }
  }
}
