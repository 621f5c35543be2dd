export const x = {
  a: 1,
  b: ,
}
