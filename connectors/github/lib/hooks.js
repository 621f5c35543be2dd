// What the GitHub events share: creating, checking and deleting a repository webhook, and checking
// a delivery's signature. Each event passes the GitHub event it listens to and how one delivery of
// it becomes a record event.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'

// GitHub keeps repository hooks until someone deletes them; a daily check recreates a hook that was
// deleted on GitHub's side, so the subscription does not go silent.
const CHECK_EVERY_MS = 24 * 60 * 60 * 1000

function hooksPath({ owner, repo }) {
  return `/repos/${encodeURIComponent(owner)}/${encodeURIComponent(repo)}/hooks`
}

// POST /repos/{owner}/{repo}/hooks answers 201 with the hook; its id is the top-level integer `id`.
async function createHook(apiClient, parameters, githubEvent, webhookUri, secret) {
  const hook = await apiClient.post(hooksPath(parameters), {
    name: 'web',
    active: true,
    events: [githubEvent],
    config: { url: webhookUri, content_type: 'json', secret, insecure_ssl: '0' },
  })
  return hook.id
}

export async function subscribe({ apiClient, parameters, webhookUri }, githubEvent) {
  // GitHub signs every delivery with this secret (HMAC-SHA256 of the body); it never shows it again.
  const secret = randomBytes(32).toString('hex')
  const hookId = await createHook(apiClient, parameters, githubEvent, webhookUri, secret)
  return { state: { hookId, secret }, nextRefreshTimestamp: Date.now() + CHECK_EVERY_MS }
}

export async function refresh({ apiClient, parameters, webhookUri, state }, githubEvent) {
  try {
    await apiClient.get(`${hooksPath(parameters)}/${state.hookId}`)
    return { nextRefreshTimestamp: Date.now() + CHECK_EVERY_MS }
  } catch (error) {
    if (error.response?.status !== 404) throw error
  }
  // The hook is gone (deleted in the repository's settings): create it again, with the same secret.
  const hookId = await createHook(apiClient, parameters, githubEvent, webhookUri, state.secret)
  return { state: { ...state, hookId }, nextRefreshTimestamp: Date.now() + CHECK_EVERY_MS }
}

export async function unsubscribe({ apiClient, parameters, state }) {
  // DELETE answers 204; a 404 means the hook is already gone, which is what we want.
  try {
    await apiClient.delete(`${hooksPath(parameters)}/${state.hookId}`)
  } catch (error) {
    if (error.response?.status !== 404) throw error
  }
}

// X-Hub-Signature-256 is `sha256=` + hex HMAC-SHA256 of the raw body under the hook's secret.
function validSignature(secret, rawBody, header) {
  if (typeof secret !== 'string' || typeof header !== 'string' || typeof rawBody !== 'string') return false
  const expected = Buffer.from('sha256=' + createHmac('sha256', secret).update(rawBody).digest('hex'))
  const given = Buffer.from(header)
  return given.length === expected.length && timingSafeEqual(given, expected)
}

const rejected = (status, error) => ({ events: [], response: { status, data: { error } } })

export function handle({ headers, rawBody, data, state }, githubEvent, toEvent) {
  const event = headers['x-github-event']
  // GitHub sends a `ping` as soon as the hook exists, possibly before subscribe has stored the
  // secret: it carries no data, so it is acknowledged when it cannot be checked yet.
  if (event === 'ping' && !state?.secret) return { events: [] }
  if (!validSignature(state?.secret, rawBody, headers['x-hub-signature-256'])) {
    return rejected(401, 'invalid or missing X-Hub-Signature-256')
  }
  // Another event only comes if the hook was edited in GitHub; nothing to record.
  if (event !== githubEvent) return { events: [] }
  const result = toEvent(data)
  if (!result) return rejected(400, `not a ${githubEvent} delivery`)
  return { events: [result] }
}

// The record is the resource as GitHub sends it, with its `id` as a string.
export function recordEvent(resource, action, actions) {
  if (resource?.id === undefined || resource?.id === null) return undefined
  return { type: actions[action] ?? 'updated', record: { ...resource, id: String(resource.id) } }
}
