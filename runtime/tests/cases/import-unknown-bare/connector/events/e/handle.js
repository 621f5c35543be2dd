import x from 'left-pad'
export default async () => x
