// One URL for the whole app (Slack-style): a challenge to echo, a shared secret, events by team.
export default async function handle({ data, headers, parameters }) {
  if (data?.boom) throw new Error('asked to fail')
  if (data?.challenge) return { response: { status: 200, data: { challenge: data.challenge } } }
  if (headers['x-relay-secret'] !== parameters.secret) return { response: { status: 401, data: 'bad secret' } }
  return {
    events: (data.events ?? []).map((event) => ({ selector: `team:${event.team}`, payload: event })),
    response: { status: 200, data: 'ok' },
  }
}
