import { checkEndpoint } from '../../lib/stripe.js'
import { enabledEvents } from './subscribe.js'

// Daily: re-enable the endpoint if Stripe disabled it, recreate it if it was deleted.
export default async function refresh({ apiClient, state, webhookUri, parameters }) {
  return checkEndpoint(apiClient, state, webhookUri, enabledEvents(parameters), {
    description: 'connector-runtime: events',
    apiVersion: parameters?.apiVersion,
  })
}
