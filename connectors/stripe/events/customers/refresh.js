import { checkEndpoint } from '../../lib/stripe.js'
import { CUSTOMER_EVENTS } from './subscribe.js'

// Daily: re-enable the endpoint if Stripe disabled it, recreate it if it was deleted.
export default async function refresh({ apiClient, state, webhookUri, parameters }) {
  return checkEndpoint(apiClient, state, webhookUri, CUSTOMER_EVENTS, {
    description: 'connector-runtime: customers',
    apiVersion: parameters?.apiVersion,
  })
}
