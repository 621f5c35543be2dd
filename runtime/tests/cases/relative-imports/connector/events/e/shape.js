export const shape = (d) => Object.keys(d)
