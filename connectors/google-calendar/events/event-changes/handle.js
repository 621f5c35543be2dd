import { timingSafeEqual } from 'node:crypto'
import { syncChanges } from '../../lib/calendar.js'

// Google Calendar notifications have no body and no signature: the headers name the channel
// (X-Goog-Channel-ID, X-Goog-Resource-ID), echo our token (X-Goog-Channel-Token) and say what
// happened (X-Goog-Resource-State: `sync` when the channel opens, then `exists` on any change).
// The changes themselves are fetched with the sync token. Google counts 200-204 as delivered
// and retries 500/502/503/504 with exponential backoff.
export default async function handle({ headers, state, parameters, apiClient }) {
  const resourceState = headers['x-goog-resource-state']
  const channelId = headers['x-goog-channel-id']
  if (!resourceState || !channelId) return reject(400, 'not a Google Calendar push notification')

  if (!state.token) {
    // The channel is being opened (subscribe has not returned yet): its `sync` message needs no
    // answer but 200; a change notification is retried by Google once the channel is known.
    if (resourceState === 'sync') return { events: [], response: { status: 200 } }
    return reject(503, 'subscription not ready yet')
  }
  if (!sameText(headers['x-goog-channel-token'] ?? '', state.token)) return reject(401, 'invalid channel token')
  if (channelId !== state.channelId || headers['x-goog-resource-id'] !== state.resourceId) {
    // Our token on another channel: one replaced at renewal, whose last messages may still come.
    // The current channel reports the same changes, so this one is acknowledged and ignored.
    return { events: [], response: { status: 200, data: { ignored: `channel ${channelId} is not current` } } }
  }
  if (resourceState !== 'exists') return { events: [], response: { status: 200 } } // sync, not_exists

  const { events, sync } = await syncChanges(apiClient, parameters, state)
  return { events, state: { ...state, ...sync }, response: { status: 200 } }
}

function reject(status, error) {
  return { events: [], response: { status, data: { error } } }
}

function sameText(given, expected) {
  const a = Buffer.from(given)
  const b = Buffer.from(expected)
  return a.length === b.length && timingSafeEqual(a, b)
}
