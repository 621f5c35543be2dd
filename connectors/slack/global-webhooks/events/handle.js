import { ConfigurationError } from '@integration-app/sdk'
import { installationSelectors, messageRecordEvent, signatureProblem } from '../../lib/slack.js'

// The app's one Request URL. Every request is signed (the url_verification check too); Slack wants a
// 2xx within 3 seconds, else it retries up to 3 times with X-Slack-Retry-Num. A retry is processed
// like the first attempt: this service answers only once the events are stored, so a retry means
// Slack did not get that answer (or it was not a 2xx). Its events keep the same event_id to dedupe by.
export default async function handle({ headers, rawBody, data, parameters }) {
  if (!parameters?.signingSecret) throw new ConfigurationError('Slack connector parameter signingSecret is not set')
  const problem = signatureProblem({
    headers,
    rawBody,
    signingSecret: parameters.signingSecret,
    toleranceSeconds: parameters.timestampToleranceSeconds,
    nowSeconds: Math.floor(Date.now() / 1000),
  })
  if (problem) return { events: [], response: { status: 401, data: { error: problem } } }

  // Saving the Request URL: echo the challenge (bolt answers with JSON, which Slack accepts).
  if (data?.type === 'url_verification') return { events: [], response: { status: 200, data: { challenge: data.challenge } } }
  // Anything else (app_rate_limited notices, slash commands sent here by mistake) is acknowledged.
  if (data?.type !== 'event_callback' || !data.event) return { events: [], response: { status: 200 } }

  // The verification token is a deprecated credential of the app: it is not passed on.
  const { token, ...envelope } = data
  const installations = installationSelectors(envelope)
  const events = installations.map((selector) => ({ selector, payload: envelope }))
  // Subscriptions to `messages` have selectors of their own, per installation and per channel.
  const message = envelope.event.type === 'message' ? messageRecordEvent(envelope.event) : null
  if (message) {
    for (const installation of installations) {
      events.push({ selector: `${installation}:messages`, payload: message })
      events.push({ selector: `${installation}:messages:${message.record.channel}`, payload: message })
    }
  }
  return { events, response: { status: 200 } }
}
