export default ({ data }) => ({ events: [data] })
