exports.unsubscribe = async function ({ state }) {
  return { removed: state.webhookId }
}
