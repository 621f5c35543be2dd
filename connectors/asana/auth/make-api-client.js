// Asana's REST API: https://app.asana.com/api/1.0, authenticated with a Bearer token (a personal
// access token, or the access_token of an OAuth connection).
export default function makeApiClient({ credentials }) {
  const token = credentials.accessToken ?? credentials.access_token
  return {
    baseUri: credentials.apiBaseUri ?? 'https://app.asana.com/api/1.0',
    headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' },
  }
}
