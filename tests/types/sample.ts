// Connector code written against connectors/connector-runtime.d.ts: it must type-check, and each
// `@ts-expect-error` line must be an error, so the types both accept real code and catch mistakes.
import type {
  GetEventSelectorResult,
  HandleArgs,
  HandleResult,
  MakeApiClientArgs,
  ApiClientConfig,
  RefreshArgs,
  RefreshResult,
  SubscribeArgs,
  SubscribeResult,
  UnsubscribeArgs,
} from '../../connectors/connector-runtime'
import { createHmac as hmac, timingSafeEqual } from 'node:crypto'
import { Buffer as NodeBuffer } from 'buffer'
import { ConnectionError, NotFoundError, isMembraneError } from '@integration-app/sdk'

export default async function subscribe({ apiClient, webhookUri, parameters }: SubscribeArgs<{ repo: string }>): Promise<SubscribeResult> {
  const hook = await apiClient.post<{ id: number }>(`/repos/${parameters.repo}/hooks`, { config: { url: webhookUri } })
  const full = await apiClient.get('/me', { fields: 'id' }, { returnFullResponse: true, headers: { Accept: 'application/json' } })
  return { state: { hookId: hook.id, status: full.status }, nextRefreshTimestamp: Date.now() + 3_600_000 }
}

export async function handle({ rawBody, headers, data, state }: HandleArgs): Promise<HandleResult> {
  const expected = 'sha256=' + createHmac('sha256', String(state.secret)).update(rawBody).digest('hex')
  const ok = timingSafeEqual(Buffer.from(expected), NodeBuffer.from(headers['x-hub-signature-256'] ?? ''))
  const digest: Buffer = hmac('sha1', 'k').update(rawBody, 'utf8').digest()
  if (!ok) throw new NotFoundError({ message: 'bad signature', data: digest.toString('base64') })
  return { events: [{ type: 'created', record: { id: String(data.id) } }], response: { status: 200, data: 'ok' } }
}

export async function refresh({ apiClient, state }: RefreshArgs): Promise<RefreshResult> {
  try {
    await apiClient.patch(`/subscriptions/${state.id}`, { expirationDateTime: new Date().toISOString() })
  } catch (e) {
    if (e instanceof ConnectionError && e.data.key === 'access_token_expired') throw e
    if (isMembraneError(e)) return {}
  }
  return { nextRefreshTimestamp: Date.now() }
}

export async function unsubscribe({ apiClient, state }: UnsubscribeArgs) {
  await apiClient.delete(`/hooks/${state.hookId}`)
}

export function makeApiClient({ credentials }: MakeApiClientArgs): ApiClientConfig {
  return { baseUri: String(credentials.apiBaseUri), headers: { Authorization: `Bearer ${credentials.token}` } }
}

export function getEventSelector(): GetEventSelectorResult {
  return { globalWebhookKey: 'events', globalWebhookEventSelector: 'T123' }
}

// @ts-expect-error: subscribe gets no state
export async function mistakes({ apiClient, webhookUri, state }: SubscribeArgs) {
  // @ts-expect-error: a response status is a number
  const bad: HandleResult = { events: [], response: { status: '200' } }
  // @ts-expect-error: the next refresh is a number of milliseconds
  const late: SubscribeResult = { nextRefreshTimestamp: '2026-01-01' }
  // @ts-expect-error: responseType has a fixed set of values
  await apiClient.get('/x', {}, { responseType: 'blob' })
  // @ts-expect-error: createHmac takes a known algorithm
  createHmac('sha3', 'k')
  return [bad, late, webhookUri, state]
}
