const { toRecord } = require('./records.js')
module.exports = async function handle({ data }) {
  return { events: [toRecord(data)] }
}
