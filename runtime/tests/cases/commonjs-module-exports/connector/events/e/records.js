exports.toRecord = (x) => ({ type: 'updated', record: { id: x.id } })
