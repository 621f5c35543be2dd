import { refresh as checkHook } from '../../lib/hooks.js'

// Checks that the hook still exists on GitHub, and creates it again if it was deleted there.
export default async function refresh(args) {
  return checkHook(args, 'issues')
}
