let calls = 0
export default async function handle({ data }) {
  calls += 1
  globalThis.seen = (globalThis.seen || 0) + 1
  if (data && data.pollute) Object.prototype.polluted = 'yes'
  if (data && data.fail) throw new Error('fail on purpose')
  return { calls, seen: globalThis.seen, polluted: ({}).polluted ?? null }
}
