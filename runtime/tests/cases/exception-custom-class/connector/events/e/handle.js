class WebhookError extends Error { constructor(m) { super(m); this.name = 'WebhookError' } }
export default async () => { throw new WebhookError('bad signature') }
