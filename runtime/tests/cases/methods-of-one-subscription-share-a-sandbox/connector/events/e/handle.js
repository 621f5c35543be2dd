import { store } from '../../lib/store.js'
export default () => store.n ?? null
