module.exports = {
  subscribe: async () => ({ state: { id: 'w1' } }),
  unsubscribe: async ({ state }) => ({ removed: state.id }),
}
