import { isNotFound } from '../../lib/graph.js'

// DELETE /subscriptions/{id} → 204. One Graph already dropped (expired, removed) is as good as deleted.
export default async function unsubscribe({ apiClient, state }) {
  if (!state.subscriptionId) return
  try {
    await apiClient.delete(`/subscriptions/${encodeURIComponent(state.subscriptionId)}`)
  } catch (error) {
    if (!isNotFound(error)) throw error
  }
}
