import { createEndpoint } from '../../lib/stripe.js'

export const CUSTOMER_EVENTS = ['customer.created', 'customer.updated', 'customer.deleted']

// One webhook endpoint for the customer events; its signing secret is kept in the state.
export default async function subscribe({ apiClient, webhookUri, parameters }) {
  return createEndpoint(apiClient, webhookUri, CUSTOMER_EVENTS, {
    description: 'connector-runtime: customers',
    apiVersion: parameters?.apiVersion,
  })
}
