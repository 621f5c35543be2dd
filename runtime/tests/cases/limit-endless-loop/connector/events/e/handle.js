export default function () { while (true) {} }
