// Stripe's REST API: https://api.stripe.com, authenticated with the secret key as a bearer token.
// `credentials.apiBaseUri` points the connector elsewhere (a proxy, or a fake in tests).
export default function makeApiClient({ credentials }) {
  const key = credentials.secretKey ?? credentials.access_token
  return {
    baseUri: credentials.apiBaseUri ?? 'https://api.stripe.com',
    headers: { Authorization: `Bearer ${key}` },
  }
}
