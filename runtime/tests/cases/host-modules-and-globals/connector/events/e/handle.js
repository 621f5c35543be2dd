import { NotFoundError, isMembraneError } from '@membranehq/sdk'
import * as legacy from '@integration-app/sdk'
import crypto, { createHmac, timingSafeEqual } from 'node:crypto'
import { Buffer as NodeBuffer } from 'buffer'
import { URL as NodeURL } from 'node:url'

export default async function handle({ rawBody }) {
  const order = []
  queueMicrotask(() => order.push('microtask'))
  setTimeout(() => order.push('timer'), 0)
  await new Promise((resolve) => setTimeout(resolve, 5))
  const digest = createHmac('sha256', 'secret').update(rawBody).digest('hex')
  return {
    sameClasses: NotFoundError === legacy.NotFoundError && NodeBuffer === Buffer && NodeURL === URL,
    notFound: { key: new NotFoundError({ message: 'x' }).data.key, member: isMembraneError(new NotFoundError('y')) },
    digest,
    globalHmacAgrees: digest === crypto.createHmac('sha256', 'secret').update(rawBody).digest('hex'),
    safeEqual: timingSafeEqual(Buffer.from(digest), Buffer.from(digest)),
    order,
    clone: structuredClone({ a: [1, { b: new Date(0) }] }),
    text: new TextDecoder().decode(new TextEncoder().encode('héllo')),
    base64: btoa('hi') + ' ' + atob('aGk='),
    url: new URL('/x?y=1', 'https://h.example').href,
  }
}
