// GitHub `issues` webhook, as a connector author writes it: check the delivery's HMAC-SHA256
// signature over the exact body, then map the issue to one record event. bench/node-server.mjs
// runs this same file under Node (directly, and in a fresh `vm` context per request).
import { createHmac, timingSafeEqual } from 'node:crypto';

export default async function handle({ rawBody, headers, parameters, data }) {
  const expected = Buffer.from(
    'sha256=' + createHmac('sha256', parameters.secret).update(rawBody).digest('hex'),
  );
  const given = Buffer.from(String(headers['x-hub-signature-256'] ?? ''));
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new Error('invalid X-Hub-Signature-256');
  }
  return {
    events: [
      {
        type: data.action === 'opened' ? 'created' : 'updated',
        record: { id: String(data.issue.id), title: data.issue.title },
      },
    ],
  };
}
