export default async () => ({ a: undefined, b: [undefined], c: NaN, d: new Date(0), e: -0 })
