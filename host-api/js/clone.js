// Placeholder until the structuredClone glue lands.
export const structuredClone = undefined
