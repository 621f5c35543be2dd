import x from '/etc/passwd'
export default async () => x
