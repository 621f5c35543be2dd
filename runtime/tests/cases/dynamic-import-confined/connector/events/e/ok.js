export default 'fine'
