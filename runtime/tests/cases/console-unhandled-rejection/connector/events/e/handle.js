export default async function handle() {
  Promise.reject(new TypeError('nobody awaited this'))
  Promise.reject(new Error('caught later')).catch(() => {})
  return 1
}
