export default async function unsubscribe({ apiClient, state }) {
  await apiClient.delete(`/hooks/${state.hookId}`)
}
