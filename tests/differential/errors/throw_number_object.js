// errors: thrown non-Error values keep their identity when caught
for (const v of [42, null, undefined, { code: "X" }, ["arr"]]) {
  try { throw v; } catch (c) { console.log(typeof c, JSON.stringify(c), c === v); }
}
