let calls = 0
export default async function handle() {
  calls += 1
  Promise.resolve().then(() => { for (;;) {} })
  return calls
}
