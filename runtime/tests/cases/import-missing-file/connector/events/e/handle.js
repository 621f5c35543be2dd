import x from './nope.js'
export default async () => x
