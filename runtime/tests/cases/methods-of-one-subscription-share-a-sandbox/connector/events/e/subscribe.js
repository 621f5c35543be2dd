import { store } from '../../lib/store.js'
export default () => { store.n = 5; return { state: {} } }
