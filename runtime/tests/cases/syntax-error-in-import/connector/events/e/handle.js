import { x } from '../../lib/broken.js'
export default () => x
