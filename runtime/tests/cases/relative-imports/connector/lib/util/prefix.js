export const prefix = 'sig:'
