export default () => ({ state: { from: 'filePath' } })
