export default async function subscribe() {
  await null
  throw new Error('the app refused the webhook')
}
