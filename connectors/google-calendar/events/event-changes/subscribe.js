import { randomBytes } from 'node:crypto'
import { initialSync, openChannel, renewalTime } from '../../lib/calendar.js'

// Opens a push channel on the calendar's events. The sync token is taken first, so a change made
// while the channel opens is found by the first notification. Google then posts a `sync` message
// to the webhook (possibly before this call returns); `handle` acknowledges it.
export default async function subscribe({ apiClient, webhookUri, parameters }) {
  const sync = await initialSync(apiClient, parameters)
  // Echoed by Google as X-Goog-Channel-Token in every notification (at most 256 characters).
  const token = randomBytes(32).toString('hex')
  const channel = await openChannel(apiClient, parameters, webhookUri, token)
  return {
    state: { ...channel, token, ...sync },
    nextRefreshTimestamp: renewalTime(channel.expiration),
  }
}
