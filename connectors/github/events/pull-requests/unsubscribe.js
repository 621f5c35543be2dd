import { unsubscribe as deleteHook } from '../../lib/hooks.js'

// Deletes the repository webhook that subscribe created.
export default async function unsubscribe(args) {
  await deleteHook(args)
}
