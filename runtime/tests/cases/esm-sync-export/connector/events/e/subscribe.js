export default function subscribe({ webhookUri }) {
  return { state: { uri: webhookUri }, nextRefreshTimestamp: 1700000000000 }
}
