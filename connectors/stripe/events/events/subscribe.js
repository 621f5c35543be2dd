import { createEndpoint } from '../../lib/stripe.js'

export const enabledEvents = (parameters) => parameters?.enabledEvents ?? ['*']

// One webhook endpoint for the chosen event types; its signing secret is kept in the state.
export default async function subscribe({ apiClient, webhookUri, parameters }) {
  return createEndpoint(apiClient, webhookUri, enabledEvents(parameters), {
    description: 'connector-runtime: events',
    apiVersion: parameters?.apiVersion,
  })
}
