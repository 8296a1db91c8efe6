// The smallest plugin: computes something and prints it. Run it with `secure-exec run plugins/hello`.
const words = ["sandboxed", "javascript", "says", "hello"];
console.log(words.map((w) => w[0].toUpperCase() + w.slice(1)).join(" "));
export const sum = [1, 2, 3, 4].reduce((a, b) => a + b, 0);
export function greet(name) { return `hello, ${name}`; }
