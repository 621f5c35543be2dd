import x from 'node:fs'
export default async () => x
