import { subscribe as createHook } from '../../lib/hooks.js'

// Creates a repository webhook for `issues` deliveries, signed with a new random secret.
export default async function subscribe(args) {
  return createHook(args, 'issues')
}
