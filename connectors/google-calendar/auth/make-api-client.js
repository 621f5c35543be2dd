// Google Calendar API v3 with the connection's OAuth 2.0 access token. `apiBaseUri` points the
// connector elsewhere (a proxy, or a fake of the API in tests).
export default function makeApiClient({ credentials }) {
  return {
    baseUri: credentials.apiBaseUri ?? 'https://www.googleapis.com/calendar/v3',
    headers: { Authorization: `Bearer ${credentials.access_token}` },
  }
}
