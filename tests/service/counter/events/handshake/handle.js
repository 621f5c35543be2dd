export default async function handle({ headers, state, data }) {
  const secret = headers['x-hook-secret']
  if (secret) return { state: { ...state, secret }, response: { status: 200, headers: { 'X-Hook-Secret': secret } } }
  return { events: [{ type: 'created', record: { id: String(data.id), signedWith: state.secret } }] }
}
