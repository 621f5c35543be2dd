// A plain-JS method annotated with JSDoc, as authors write them in connectors/.

/** @param {import('../../connectors/connector-runtime').HandleArgs} args
    @returns {Promise<import('../../connectors/connector-runtime').HandleResult>} */
export default async function handle({ body, query, rawBody, headers }) {
  const signature = createHmac('sha256', 'secret').update(rawBody).digest('hex')
  if (signature !== headers['x-webhook-signature']) throw new Error('Invalid webhook signature')
  return { events: [{ type: 'created', record: body.record }], response: { headers: { 'Content-Type': 'text/plain' }, data: query.data } }
}
