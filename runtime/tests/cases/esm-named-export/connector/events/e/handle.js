export const VERSION = 2
export async function handle({ data }) { return { events: [data], version: VERSION } }
