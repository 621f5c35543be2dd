import { handle as verifiedDelivery, recordEvent } from '../../lib/hooks.js'

// `pull_request` actions: opened creates the pull request; every other action (edited, closed
// (merged or not), reopened, synchronize, labeled, review_requested, ready_for_review, ...) updates
// it. GitHub has no way to delete a pull request, so no delivery maps to `deleted`.
const ACTIONS = { opened: 'created' }

export default async function handle(args) {
  return verifiedDelivery(args, 'pull_request', (data) => recordEvent(data?.pull_request, data?.action, ACTIONS))
}
