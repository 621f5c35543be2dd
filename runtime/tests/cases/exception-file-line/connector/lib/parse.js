export function parse(data) {
  // the record is missing
  return { id: data.record.id }
}
