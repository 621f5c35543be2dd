import { handleDelivery, recordOrPayload } from '../../lib/stripe.js'
import { CUSTOMER_EVENTS } from './subscribe.js'

// A customer.* delivery becomes a record event of the customer; anything else is acknowledged and
// dropped (the endpoint is only enabled for customer events).
export default async function handle(args) {
  return handleDelivery(args, (event) =>
    CUSTOMER_EVENTS.includes(event?.type) && event?.data?.object?.object === 'customer' ? [recordOrPayload(event)] : [],
  )
}
