export default () => 'still serving'
