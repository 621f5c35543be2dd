let calls = 0
export default async function handle({ data }) {
  calls += 1
  const order = []
  await new Promise((resolve) => setTimeout(() => { order.push('timeout'); resolve() }, 20))
  const guard = setTimeout(() => order.push('guard fired'), 5000)
  await null
  clearTimeout(guard)
  if (data?.leave) setTimeout(() => {}, 60000)
  return { calls, order }
}
