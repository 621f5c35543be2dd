export default async function subscribe({ apiClient, webhookUri, parameters }) {
  if (parameters.channel === 'refuse') {
    console.log('refusing channel', parameters.channel)
    throw new Error('the app refused this channel')
  }
  const hook = await apiClient.post('/hooks', { url: webhookUri, channel: parameters.channel })
  const next = parameters.refreshInMs === undefined ? undefined : Date.now() + parameters.refreshInMs
  return { state: { hookId: hook.id, count: 0 }, nextRefreshTimestamp: next }
}
