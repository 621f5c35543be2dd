const config = JSON.parse('{oops')
export default () => config
