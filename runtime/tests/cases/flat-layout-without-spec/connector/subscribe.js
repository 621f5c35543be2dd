export default () => ({ state: { ok: true } })
