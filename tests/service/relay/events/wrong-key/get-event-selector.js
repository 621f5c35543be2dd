export default async function getEventSelector() {
  return { globalWebhookKey: 'no-such-webhook', globalWebhookEventSelector: 'x' }
}
