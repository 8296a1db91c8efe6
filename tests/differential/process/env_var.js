// process: process.env shows a variable set by the runner; missing ones are undefined
console.log(process.env.DIFF_VAR, typeof process.env.DIFF_VAR);
console.log(process.env.SURELY_NOT_SET_12345, "SURELY_NOT_SET_12345" in process.env);
process.env.NEW_ONE = 42;
console.log(process.env.NEW_ONE, typeof process.env.NEW_ONE);
delete process.env.NEW_ONE;
console.log(process.env.NEW_ONE);
