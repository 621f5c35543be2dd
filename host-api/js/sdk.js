// Placeholder until the SDK error classes land.
export class MembraneError extends Error {}
export default { MembraneError }
