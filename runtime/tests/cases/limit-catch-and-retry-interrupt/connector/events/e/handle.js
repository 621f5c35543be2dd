export default async function () {
  const spin = () => { for (;;) {} }
  for (;;) { try { spin() } catch (e) {} ; await spin2().catch(() => {}) }
  async function spin2() { spin() }
}
