// language: BigInt arithmetic, asIntN/asUintN, mixing errors
console.log(2n ** 100n, -7n / 2n, -7n % 2n, BigInt.asUintN(8, 257n), BigInt.asIntN(8, 255n));
try { 1n + 1; } catch (e) { console.log(e.name); }
console.log(BigInt("0x1f"), typeof 1n, 10n > 9, JSON.stringify({ v: String(5n) }));
