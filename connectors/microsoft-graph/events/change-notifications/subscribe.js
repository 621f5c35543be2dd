import { randomBytes } from 'node:crypto'
import { lifecycleUrl, renewalTime, requestedExpiry } from '../../lib/graph.js'

// POST /subscriptions. Graph answers only after it has validated both URLs: it POSTs
// `?validationToken=...` to each, which handle.js echoes while this call is still waiting.
// Graph signs nothing; the clientState (a secret of ours, at most 128 characters) comes back in
// every notification, which is how handle.js tells Graph's deliveries from anyone else's. When the
// service re-creates a subscription Graph lost, this runs again and makes a new clientState: the old
// one, which belonged to the lost subscription, is refused from then on.
export default async function subscribe({ apiClient, webhookUri, parameters }) {
  const clientState = randomBytes(32).toString('hex')
  const subscription = await apiClient.post('/subscriptions', {
    changeType: parameters.changeType ?? 'created,updated,deleted',
    notificationUrl: webhookUri,
    lifecycleNotificationUrl: lifecycleUrl(webhookUri),
    resource: parameters.resource,
    expirationDateTime: requestedExpiry(parameters),
    clientState,
  })
  return {
    state: { subscriptionId: subscription.id, clientState, expirationDateTime: subscription.expirationDateTime },
    // Graph may grant less than we asked for: its answer decides when we renew.
    nextRefreshTimestamp: renewalTime(subscription.expirationDateTime),
  }
}
