// Microsoft Graph v1.0, called with the connection's OAuth 2.0 access token. `apiBaseUri` points the
// connector at a national cloud (or at a test double); it includes the version segment.
export default function makeApiClient({ credentials }) {
  return {
    baseUri: credentials.apiBaseUri ?? 'https://graph.microsoft.com/v1.0',
    headers: { Authorization: `Bearer ${credentials.access_token}` },
  }
}
