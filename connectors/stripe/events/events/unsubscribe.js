import { deleteEndpoint } from '../../lib/stripe.js'

export default async function unsubscribe({ apiClient, state }) {
  await deleteEndpoint(apiClient, state)
}
