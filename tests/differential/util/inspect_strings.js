// util: util.inspect quoting of strings with quotes and escapes
const util = require("node:util");
console.log(util.inspect("it's"), util.inspect('say "hi"'), util.inspect("both ' and \""), util.inspect("tab\there\n"));
console.log(util.inspect(["a", "b"]), util.inspect({ "key-with-dash": 1, valid_id: 2 }));
