// timers: timers/promises setTimeout and setImmediate resolve with values
const tp = require("node:timers/promises");
(async () => {
  console.log(await tp.setTimeout(5, "after timeout"));
  console.log(await tp.setImmediate("after immediate"));
})();
