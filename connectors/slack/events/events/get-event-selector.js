import { installationOf } from '../../lib/slack.js'

// The installation the bot token belongs to (auth.test): its workspace, or its Grid organization.
export default async function getEventSelector({ apiClient }) {
  return { globalWebhookKey: 'events', globalWebhookEventSelector: await installationOf(apiClient) }
}
