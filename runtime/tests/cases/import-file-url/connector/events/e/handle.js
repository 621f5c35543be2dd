import x from 'file:///etc/passwd'
export default async () => x
