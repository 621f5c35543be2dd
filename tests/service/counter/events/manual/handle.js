export default async function handle({ data }) {
  return { events: [{ type: 'created', record: { id: String(data.id) } }] }
}
