import { openChannel, renewalTime, stopChannel } from '../../lib/calendar.js'

// Google channels cannot be extended: open a new one (new id, same token), and only then stop the
// old one, so that some channel is always open. Notifications in the overlap are harmless: each
// asks Google for the changes since the last sync token, so nothing is reported twice.
export default async function refresh({ apiClient, webhookUri, parameters, state }) {
  const channel = await openChannel(apiClient, parameters, webhookUri, state.token)
  try {
    await stopChannel(apiClient, state)
  } catch (error) {
    // The new channel is open; the old one ends at its expiration anyway.
    console.warn(`could not stop channel ${state.channelId}: ${error.message}`)
  }
  return {
    state: { ...state, ...channel },
    nextRefreshTimestamp: renewalTime(channel.expiration),
  }
}
