// errors: Node API argument errors use ERR_* codes
const fs = require("node:fs");
try { fs.readFileSync({}); } catch (e) { console.log(e.name, e.code); }
try { Buffer.alloc(-1); } catch (e) { console.log(e.name, e.code); }
try { new (require("node:events"))().on("x", 5); } catch (e) { console.log(e.name, e.code); }
try { new URL(); } catch (e) { console.log(e.name, e.code); }
