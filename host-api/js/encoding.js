// Placeholder until the TextEncoder glue lands.
export const TextEncoder = undefined, TextDecoder = undefined
