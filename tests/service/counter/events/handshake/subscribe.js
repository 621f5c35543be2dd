// Asana-style: the create call blocks until the app's handshake to the webhook URI is answered.
export default async function subscribe({ apiClient, webhookUri }) {
  const hook = await apiClient.post('/hooks-with-handshake', { url: webhookUri })
  return { state: { hookId: hook.id } }
}
