// process: process.exit(code) from an 'exit' listener sets the exit code (test/common's mustCall check relies on it)
process.on("exit", (code) => {
  console.log("exit listener, code", code, "exitCode", process.exitCode);
  process.exit(3);
});
console.log("main done");
