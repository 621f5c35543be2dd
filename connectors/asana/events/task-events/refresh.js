import { NotFoundError } from '@integration-app/sdk'
import { nextCheck } from './subscribe.js'

// Asana webhooks do not expire, so there is nothing to renew. Asana does delete a webhook whose
// deliveries have failed for 24 hours; this daily check finds that out, and the NotFoundError it
// throws then makes the service run subscribe again (a new webhook, for the same webhook URI).
export default async function refresh({ apiClient, state }) {
  let webhook
  try {
    webhook = (await apiClient.get(`/webhooks/${state.webhookGid}`)).data
  } catch (error) {
    if (error.response?.status === 404) {
      throw new NotFoundError({
        message: `Asana has deleted webhook ${state.webhookGid} (its deliveries failed for 24 hours)`,
      })
    }
    throw error
  }
  if (webhook.last_failure_at && (!webhook.last_success_at || webhook.last_failure_at > webhook.last_success_at)) {
    console.warn(`Asana webhook ${state.webhookGid} is failing since ${webhook.last_failure_at}: ${webhook.last_failure_content}`)
  }
  return { nextRefreshTimestamp: nextCheck() }
}
