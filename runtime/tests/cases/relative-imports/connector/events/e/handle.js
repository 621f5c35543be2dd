import { sign } from '../../lib/sign.js'
import { shape } from './shape'
import defaults from '../../lib/defaults.json'
import legacy from '../../lib/legacy.cjs'
export default async function handle({ data }) {
  return { sig: sign(data.v), shape: shape(data), defaults, legacy: legacy.name }
}
