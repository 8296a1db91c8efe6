// The smallest plugin: computes something and prints it.
const words = ["sandboxed", "javascript", "says", "hello"];
console.log(words.map((w) => w[0].toUpperCase() + w.slice(1)).join(" "));
module.exports = { sum: [1, 2, 3, 4].reduce((a, b) => a + b, 0) };
