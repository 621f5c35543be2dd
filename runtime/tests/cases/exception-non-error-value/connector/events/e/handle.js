export default async () => { throw { code: 42 } }
