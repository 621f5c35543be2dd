export default async function handle({ data, state, query }) {
  if (query.challenge) return { response: { status: 200, headers: { 'Content-Type': 'text/plain' }, data: query.challenge } }
  if (data?.fail) throw new Error('asked to fail')
  if (data?.badEvents) return { events: [{ type: 'created', record: { title: 'no id' } }] }
  if (data?.badHeader) return { events: [{ type: 'created', record: { id: '1' } }], response: { headers: { 'bad name': 'x' } } }
  if (data?.slowMs) await new Promise((resolve) => setTimeout(resolve, data.slowMs))
  if (data?.spinMs) for (const end = Date.now() + data.spinMs; Date.now() < end;);
  const count = (state.count ?? 0) + 1
  return {
    events: [{ type: 'created', record: { id: String(data.id), count } }],
    state: { ...state, count },
    response: { status: 202, data: { accepted: data.id } },
  }
}
