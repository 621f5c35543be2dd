import x from '../../../outside.js'
export default async () => x
