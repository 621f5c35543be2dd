export default async function getEventSelector({ apiClient }) {
  const me = await apiClient.get('/me')
  return { globalWebhookKey: 'events', globalWebhookEventSelector: `team:${me.team}` }
}
