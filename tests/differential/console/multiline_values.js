// console: console.log of long arrays/objects breaks lines like Node
console.log(Array.from({ length: 30 }, (_, i) => i));
console.log({ alpha: "aaaaaaaaaaaaaaaaaaaa", beta: "bbbbbbbbbbbbbbbbbbbb", gamma: "cccccccccccccccccccc", delta: 1 });
console.log(Array.from({ length: 120 }, (_, i) => i % 3));
