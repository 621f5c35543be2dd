export default async function subscribe({ apiClient, webhookUri, parameters }) {
  const hook = await apiClient.post('/hooks', { url: webhookUri, channel: parameters.channel })
  const next = parameters.refreshInMs === undefined ? undefined : Date.now() + parameters.refreshInMs
  return { state: { hookId: hook.id, count: 0 }, nextRefreshTimestamp: next }
}
