export default async function refresh({ apiClient, state, parameters }) {
  await apiClient.post(`/hooks/${state.hookId}/renew`)
  return { nextRefreshTimestamp: parameters.refreshInMs === undefined ? undefined : Date.now() + parameters.refreshInMs }
}
