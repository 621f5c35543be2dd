export default async function handle({ data, query }) {
  return { events: [{ type: 'created', record: { id: String(data.id), q: query.x } }] }
}
