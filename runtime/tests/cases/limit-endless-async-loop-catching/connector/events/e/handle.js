export default async function () {
  for (;;) {
    try { await Promise.resolve(); for (let i = 0; i < 1e5; i++) {} } catch (e) {}
    try { await null } catch (e) {}
  }
}
