import { installationOf } from '../../lib/slack.js'

// Routed by installation, and by channel when one is chosen (the global handle emits both).
export default async function getEventSelector({ apiClient, parameters }) {
  const installation = await installationOf(apiClient)
  const selector = parameters?.channel ? `${installation}:messages:${parameters.channel}` : `${installation}:messages`
  return { globalWebhookKey: 'events', globalWebhookEventSelector: selector }
}
