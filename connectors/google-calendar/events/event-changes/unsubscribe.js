import { stopChannel } from '../../lib/calendar.js'

// channels.stop with the channel id and the watched resource's id.
export default async function unsubscribe({ apiClient, state }) {
  if (state.channelId) await stopChannel(apiClient, state)
}
