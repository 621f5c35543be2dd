import { handleDelivery, recordOrPayload } from '../../lib/stripe.js'

// Every delivery becomes one event: a record event for <object>.created|updated|deleted, else a
// payload event of the Stripe event type.
export default async function handle(args) {
  return handleDelivery(args, (event) => [recordOrPayload(event)])
}
