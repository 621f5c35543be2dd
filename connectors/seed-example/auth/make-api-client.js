// The external app's API: its base URI and a bearer token, both from the connection's credentials.
export default function makeApiClient({ credentials }) {
  return {
    baseUri: credentials.apiBaseUri,
    headers: { Authorization: `Bearer ${credentials.accessToken}` },
  }
}
