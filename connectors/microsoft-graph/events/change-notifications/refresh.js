import { renew, renewalTime } from '../../lib/graph.js'

// Graph deletes a subscription at its expirationDateTime: extend it before then. If Graph no longer
// has it, renew throws a NotFoundError and the service runs subscribe again (same webhook URI).
export default async function refresh({ apiClient, state, parameters }) {
  const renewed = await renew(apiClient, state, parameters)
  return {
    state: { ...state, expirationDateTime: renewed.expirationDateTime },
    nextRefreshTimestamp: renewalTime(renewed.expirationDateTime),
  }
}
