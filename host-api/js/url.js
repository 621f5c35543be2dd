// Placeholder until the URL glue lands.
export const URL = undefined, URLSearchParams = undefined
