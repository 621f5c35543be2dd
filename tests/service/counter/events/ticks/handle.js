export default async function handle({ data, state, query, headers }) {
  if (query.challenge) return { response: { status: 200, headers: { 'Content-Type': 'text/plain' }, data: query.challenge } }
  if (data?.fail) throw new Error('asked to fail')
  const count = (state.count ?? 0) + 1
  return {
    events: [{ type: 'created', record: { id: String(data.id), count } }],
    state: { ...state, count },
    response: { status: 202, data: { accepted: data.id } },
  }
}
