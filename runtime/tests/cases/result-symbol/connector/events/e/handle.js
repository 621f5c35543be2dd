const fetchLater = async () => 1
export default async function handle() { return { state: Symbol('s') } }
