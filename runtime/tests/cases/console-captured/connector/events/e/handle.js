export default async function handle({ data }) {
  console.log('received', data.id)
  console.info({ a: 1, nested: { b: [1, 2] } })
  console.warn('slow: %d ms', 1500)
  console.error(new Error('x').message)
  console.debug('dbg')
  return null
}
