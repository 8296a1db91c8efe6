// stream: for await over a Readable
const { Readable } = require("node:stream");
(async () => {
  const parts = [];
  for await (const chunk of Readable.from([1, 2, 3])) parts.push(chunk * 10);
  console.log(parts.join(" "));
})();
