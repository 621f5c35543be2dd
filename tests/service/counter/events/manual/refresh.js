export default async function refresh({ apiClient, parameters }) {
  await apiClient.post(`/hooks/${parameters.hookId}/renew`)
  return { nextRefreshTimestamp: Date.now() + 3600000 }
}
