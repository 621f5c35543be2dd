// Placeholder until the Buffer glue lands.
export const Buffer = undefined
