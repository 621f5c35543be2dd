// Slack's Web API: https://slack.com/api/<method>, authenticated with the installation's bot token
// (xoxb-...) as a Bearer credential. `credentials.apiBaseUri` points the connector elsewhere.
export default function makeApiClient({ credentials }) {
  const token = credentials.access_token ?? credentials.botToken
  return {
    baseUri: credentials.apiBaseUri ?? 'https://slack.com/api',
    headers: { Authorization: `Bearer ${token}` },
  }
}
