import { prefix } from './util/prefix.js'
export const sign = (v) => prefix + v
