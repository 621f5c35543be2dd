// What the subscription methods share: how long to ask Graph for, when to renew, and the renewal.
import { NotFoundError } from '@integration-app/sdk'

// The longest lifetime Graph grants, in minutes, by kind of resource (first match wins). Graph may
// refuse a subscription that asks for more (it clamps others), so we ask for one minute less (clock skew).
const MAX_LIFETIME_MINUTES = [
  [/presence/i, 60], // Teams presence
  [/(^|\/)chats(\/|$)|\/channels\/|getallmessages/i, 60], // Teams chat and channel messages
  [/^\/?security\/alerts/i, 43200],
  [/^\/?communications\/callrecords/i, 4230],
  [/(^|\/)drives?(\/|$)|\/lists(\/|$)/i, 42300], // OneDrive / SharePoint drive items and lists
  [/\/(conversations|threads)(\/|$)/i, 4230], // group conversations
  [/(^|\/)(messages|mailfolders|events|contacts)(\/|\(|$)/i, 4230], // Outlook (10080 in newer docs)
  [/^\/?(users|groups)(\/[^/]+)?$/i, 41760], // directory objects
]
const DEFAULT_LIFETIME_MINUTES = 4230

/** The `expirationDateTime` to ask for now: the event's `expirationMinutes`, else the resource's maximum. */
export function requestedExpiry(parameters, now = Date.now()) {
  const minutes = parameters.expirationMinutes ?? maxLifetimeMinutes(parameters.resource) - 1
  return new Date(now + minutes * 60_000).toISOString()
}

function maxLifetimeMinutes(resource) {
  const found = MAX_LIFETIME_MINUTES.find(([pattern]) => pattern.test(resource))
  return found ? found[1] : DEFAULT_LIFETIME_MINUTES
}

/**
 * When to renew a subscription that Graph says expires at `expirationDateTime`: at the half of the
 * lifetime it granted, so a one-hour subscription renews as surely as a month-long one, and a
 * failed renewal has as long again to be retried before Graph deletes the subscription.
 */
export function renewalTime(expirationDateTime, now = Date.now()) {
  const expiresAt = Date.parse(expirationDateTime)
  if (!Number.isFinite(expiresAt)) throw new Error(`Graph returned no usable expirationDateTime: ${expirationDateTime}`)
  return Math.floor(now + Math.max(0, expiresAt - now) / 2)
}

/** The notification URL for lifecycle events (reauthorizationRequired, subscriptionRemoved, missed). */
export function lifecycleUrl(webhookUri) {
  return `${webhookUri}${webhookUri.includes('?') ? '&' : '?'}lifecycle=true`
}

/**
 * Extends the subscription: `PATCH /subscriptions/{id} {expirationDateTime}` → the subscription with
 * the expiry Graph granted. A subscription Graph no longer has (it expired or was removed) answers
 * 404; it cannot be revived, only created again: the NotFoundError thrown then tells the service to
 * run subscribe again for the same webhook URI (a new Graph subscription, validated anew).
 */
export async function renew(apiClient, state, parameters) {
  try {
    return await apiClient.patch(`/subscriptions/${encodeURIComponent(state.subscriptionId)}`, {
      expirationDateTime: requestedExpiry(parameters),
    })
  } catch (error) {
    if (isNotFound(error)) {
      throw new NotFoundError({
        message: `Microsoft Graph no longer has subscription ${state.subscriptionId} (it expired or was removed)`,
        data: error.data?.data,
      })
    }
    throw error
  }
}

export function isNotFound(error) {
  return error?.response?.status === 404 || error?.data?.data?.error?.code === 'ResourceNotFound'
}
