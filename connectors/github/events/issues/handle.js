import { handle as verifiedDelivery, recordEvent } from '../../lib/hooks.js'

// `issues` actions: opened creates the issue; deleted and transferred (moved to another
// repository) remove it from this one; every other action (edited, closed, reopened, labeled,
// assigned, milestoned, locked, pinned, typed, ...) updates it.
const ACTIONS = { opened: 'created', deleted: 'deleted', transferred: 'deleted' }

export default async function handle(args) {
  return verifiedDelivery(args, 'issues', (data) => recordEvent(data?.issue, data?.action, ACTIONS))
}
