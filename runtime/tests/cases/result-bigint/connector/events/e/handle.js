const fetchLater = async () => 1
export default async function handle() { return { events: [{ record: { id: 10n } }] } }
