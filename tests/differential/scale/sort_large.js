// scale: sorting 100,000 numbers and strings
let x = 12345;
const nums = Array.from({ length: 100000 }, () => (x = (x * 1103515245 + 12345) % 2147483648));
const sorted = nums.slice().sort((a, b) => a - b);
console.log(sorted[0], sorted[99999], sorted.every((v, i) => i === 0 || sorted[i - 1] <= v));
console.log(nums.map(String).sort().slice(0, 3).join(","));
