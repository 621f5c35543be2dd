// DELETE /webhooks/{webhook_gid} answers 200 {"data": {}}. A webhook Asana already deleted (404) is
// as good as deleted.
export default async function unsubscribe({ apiClient, state }) {
  if (!state.webhookGid) return
  try {
    await apiClient.delete(`/webhooks/${state.webhookGid}`)
  } catch (error) {
    if (error.response?.status !== 404) throw error
  }
}
