export default ({ credentials }) => ({ baseUri: credentials.apiBaseUri, headers: { Authorization: `Bearer ${credentials.token}` } })
