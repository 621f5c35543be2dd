import { randomUUID } from 'node:crypto'

// Helpers shared by the methods of Google Calendar's push channels
// (https://developers.google.com/workspace/calendar/api/guides/push and .../guides/sync).

const HOUR = 60 * 60 * 1000

export function calendarPath(parameters) {
  return `/calendars/${encodeURIComponent(parameters.calendarId ?? 'primary')}`
}

// events.watch: Google wants a new, unique channel id each time; it echoes `token` in every
// notification (X-Goog-Channel-Token) and answers with the watched resource's id and the channel's
// expiration (int64 milliseconds, sent as a string).
export async function openChannel(apiClient, parameters, webhookUri, token) {
  const channel = await apiClient.post(`${calendarPath(parameters)}/events/watch`, {
    id: randomUUID(),
    type: 'web_hook',
    address: webhookUri,
    token,
  })
  return {
    channelId: channel.id,
    resourceId: channel.resourceId,
    expiration: channel.expiration === undefined ? null : Number(channel.expiration),
  }
}

// channels.stop takes both the channel id and the resource id. A channel Google no longer knows
// (already expired or stopped) answers 404: there is nothing left to stop.
export async function stopChannel(apiClient, { channelId, resourceId }) {
  try {
    await apiClient.post('/channels/stop', { id: channelId, resourceId })
  } catch (error) {
    if (error?.data?.data?.error?.code !== 404) throw error
  }
}

// Channels cannot be extended: a new one replaces the old an hour before it expires, or at three
// quarters of its life when it lives less than four hours. No expiration: nothing to renew.
export function renewalTime(expiration, now = Date.now()) {
  if (!expiration) return undefined
  const margin = Math.min(HOUR, (expiration - now) / 4)
  return Math.round(Math.max(now, expiration - margin))
}

// events.list, every page. The last page carries nextSyncToken; `updated` is the calendar's last
// modification time, on Google's clock.
export async function listEvents(apiClient, parameters, query) {
  const items = []
  let pageToken
  let page
  do {
    page = await apiClient.get(`${calendarPath(parameters)}/events`, { ...query, maxResults: 2500, pageToken })
    items.push(...(page.items ?? []))
    pageToken = page.nextPageToken
  } while (pageToken)
  return { items, syncToken: page.nextSyncToken, updated: latest(page.updated, ...items.map((item) => item.updated)) }
}

// The first, full sync: only its sync token matters (the events already there are not changes),
// so the partial response asks for nothing else.
export async function initialSync(apiClient, parameters) {
  const { syncToken, updated } = await listEvents(apiClient, parameters, {
    fields: 'nextPageToken,nextSyncToken,updated',
  })
  return { syncToken, calendarUpdated: updated }
}

// The events changed since the last sync, as record events, and the sync state to keep.
// A sync token Google has invalidated answers 410 Gone; then a full sync (deleted events
// included) finds what changed after the last sync's `updated` time.
export async function syncChanges(apiClient, parameters, state) {
  let changed
  try {
    changed = await listEvents(apiClient, parameters, { syncToken: state.syncToken })
  } catch (error) {
    if (error?.data?.data?.error?.code !== 410) throw error
    console.warn('sync token expired (410 Gone): full sync')
    const all = await listEvents(apiClient, parameters, { showDeleted: true })
    const since = Date.parse(state.calendarUpdated)
    changed = { ...all, items: all.items.filter((item) => !(Date.parse(item.updated) <= since)) }
  }
  return {
    events: changed.items.map((item) => recordEvent(item, state.calendarUpdated)),
    sync: { syncToken: changed.syncToken, calendarUpdated: latest(state.calendarUpdated, changed.updated) },
  }
}

// Google sends no change type. A cancelled event was deleted; an event created after the
// calendar's last modification as of the previous sync is new to us; anything else was updated.
// Both times are Google's, so no clock skew enters.
export function recordEvent(item, previousSync) {
  const type =
    item.status === 'cancelled' ? 'deleted' : Date.parse(item.created) > Date.parse(previousSync) ? 'created' : 'updated'
  return { type, record: { ...item, id: String(item.id) } }
}

function latest(...times) {
  const known = times.filter(Boolean)
  return known.length === 0 ? null : known.reduce((a, b) => (Date.parse(b) > Date.parse(a) ? b : a))
}
