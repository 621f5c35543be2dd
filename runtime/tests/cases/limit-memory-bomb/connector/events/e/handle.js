export default function () { const a = []; for (;;) a.push(new Array(100000).fill(1.5)) }
