import { subscribe as createHook } from '../../lib/hooks.js'

// Creates a repository webhook for `pull_request` deliveries, signed with a new random secret.
export default async function subscribe(args) {
  return createHook(args, 'pull_request')
}
