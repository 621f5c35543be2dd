// Asana's POST /webhooks does not answer until it has completed a handshake with the target: it POSTs
// an X-Hook-Secret header to webhookUri, and handle.js echoes it. If the handshake fails, the create
// call fails and so does subscribe. The 201 answer carries the same secret (`X-Hook-Secret` beside
// `data`): that copy, which only Asana can give us, is the key of every later X-Hook-Signature.
const ACTIONS = ['added', 'changed', 'removed', 'deleted', 'undeleted']

export default async function subscribe({ apiClient, webhookUri, parameters }) {
  // One filter per action on tasks; Asana then sends nothing else (no stories, no sections).
  const filters = ACTIONS.map((action) =>
    action === 'changed' && parameters.fields?.length
      ? { resource_type: 'task', action, fields: parameters.fields }
      : { resource_type: 'task', action },
  )
  const response = await apiClient.post('/webhooks', {
    data: { resource: parameters.resource, target: webhookUri, filters },
  })
  // Merged over what the handshake stored. When the service re-creates a webhook Asana deleted,
  // handle.js echoes the new handshake without keeping it, and this is where the new key comes from.
  const state = { webhookGid: response.data.gid }
  if (response['X-Hook-Secret']) state.secret = response['X-Hook-Secret']
  else console.warn("Asana's answer has no X-Hook-Secret: deliveries are checked with the first handshake's")
  return { state, nextRefreshTimestamp: nextCheck() }
}

// Asana webhooks never expire, but Asana deletes one whose deliveries keep failing for 24 hours:
// refresh.js looks once a day.
export function nextCheck() {
  return Date.now() + 24 * 60 * 60 * 1000
}
