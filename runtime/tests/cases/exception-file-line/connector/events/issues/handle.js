import { parse } from '../../lib/parse.js'

export default async function handle({ data }) {
  return { events: [parse(data)] }
}
