// language: ES2022/2023 built-ins present in Node 20: findLast, toSorted, at, hasOwn, isWellFormed
console.log([1, 2, 3, 4].findLast((x) => x % 2 === 1), [3, 1, 2].toSorted().join(""), [1, 2, 3].at(-1));
console.log([1, 2, 3].toReversed().join(""), [1, 2, 3].with(1, 9).join(""), [5, 1].toSpliced(0, 1).join(""));
console.log(Object.hasOwn({ a: 1 }, "a"), "ab\ud800".isWellFormed(), "ab".toWellFormed());
console.log("x".replaceAll("x", "y"), [[1, [2]], [3]].flat(Infinity).join(","), typeof globalThis.WeakRef, typeof FinalizationRegistry);
