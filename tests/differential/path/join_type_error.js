// path: path.join with a non-string throws ERR_INVALID_ARG_TYPE
const path = require("node:path");
try { path.join("a", 5); } catch (e) { console.log(e.name, e.code); }
try { path.basename(null); } catch (e) { console.log(e.name, e.code); }
