import { timingSafeEqual } from 'node:crypto'
import { renew } from '../../lib/graph.js'

const RECORD_CHANGES = new Set(['created', 'updated', 'deleted'])

// Three kinds of request reach this URL (and its `?lifecycle=true` twin):
// - the validation handshake, `POST ?validationToken=...`: answer 200, text/plain, the token
//   URL-decoded, within 10 s (Graph creates the subscription only then);
// - change notifications, `{ value: [{ changeType, resource, resourceData: { id }, clientState, ... }] }`;
// - lifecycle notifications, `{ value: [{ lifecycleEvent, subscriptionId, clientState, ... }] }`.
// Notifications are acknowledged with 202 (Graph retries anything else for up to 4 hours).
export default async function handle({ query, data, state, apiClient, parameters }) {
  if (query.validationToken !== undefined) {
    const token = [].concat(query.validationToken)[0]
    return { response: { status: 200, headers: { 'Content-Type': 'text/plain' }, data: token } }
  }

  const notifications = data?.value
  if (!Array.isArray(notifications)) {
    return { events: [], response: { status: 400, data: { error: 'expected a notification collection { value: [...] }' } } }
  }
  // Graph signs nothing: a notification is Graph's only if it carries our clientState. A batch with
  // any stranger in it is refused whole (401), so nothing of it is stored, and Graph redelivers a
  // genuine one that raced the end of subscribe (before our state, and its clientState, was saved).
  if (!notifications.every((n) => sameSecret(n?.clientState, state.clientState))) {
    return { events: [], response: { status: 401, data: { error: 'clientState does not match' } } }
  }

  const events = []
  let newState
  for (const { clientState, ...notification } of notifications) {
    if (notification.lifecycleEvent === 'reauthorizationRequired') {
      // Graph pauses deliveries until the subscription is reauthorized: a renewal does that.
      const renewed = await renew(apiClient, state, parameters)
      newState = { ...state, expirationDateTime: renewed.expirationDateTime }
    } else if (notification.lifecycleEvent) {
      // subscriptionRemoved: Graph dropped the subscription (the next refresh finds it gone, and
      // the service creates it again);
      // missed: Graph lost some notifications, so the resource should be read again (delta query).
      events.push({ type: notification.lifecycleEvent, payload: notification })
    } else {
      events.push(changeEvent(notification))
    }
  }
  return { events, state: newState, response: { status: 202 } }
}

// A basic notification names the changed item (resourceData.id) and where to GET it (resource).
// Without an item id (drive items: "something in this drive changed"), it is a payload event.
function changeEvent(notification) {
  const id = notification.resourceData?.id
  if (RECORD_CHANGES.has(notification.changeType) && id !== undefined && id !== null) {
    return {
      type: notification.changeType,
      record: { ...notification.resourceData, id: String(id), resource: notification.resource },
    }
  }
  return { type: 'change', payload: notification }
}

function sameSecret(given, expected) {
  if (typeof given !== 'string' || typeof expected !== 'string') return false
  const a = Buffer.from(given)
  const b = Buffer.from(expected)
  return a.length === b.length && timingSafeEqual(a, b)
}
