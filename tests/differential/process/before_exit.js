// process: 'beforeExit' fires when the loop empties and can schedule more work
let n = 0;
process.on("beforeExit", (code) => {
  console.log("beforeExit", code, n);
  if (n++ < 2) setTimeout(() => console.log("more work", n), 0);
});
process.on("exit", (code) => console.log("exit", code));
