const fetchLater = async () => 1
export default async function handle() { const a = { events: [] }; a.events.push({ record: a }); return a }
