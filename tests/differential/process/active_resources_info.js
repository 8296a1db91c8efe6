// process: getActiveResourcesInfo() lists referenced timers ("Timeout") and pending immediates ("Immediate")
const count = (type) => process.getActiveResourcesInfo().filter((t) => t === type).length;
console.log("start", count("Timeout"), count("Immediate"));
function startInterval() {
  const iv = setInterval(() => {
    console.log("interval", count("Timeout"));
    clearInterval(iv);
    console.log("interval cleared", count("Timeout"));
  }, 2);
  console.log("interval set", count("Timeout"));
}
setImmediate(() => {
  console.log("inside immediate", count("Immediate"));
  const t = setTimeout(() => {
    console.log("inside timeout", count("Timeout"));
    clearTimeout(t);
    console.log("after clear", count("Timeout"));
    startInterval();
  }, 1);
  const u = setTimeout(() => {}, 50).unref();
  console.log("after setTimeout", count("Timeout"));
  setTimeout(() => clearTimeout(u), 1);
  console.log("two timers", count("Timeout"));
});
setImmediate(() => {}).unref();
console.log("after setImmediate", count("Immediate"), count("Timeout"));
