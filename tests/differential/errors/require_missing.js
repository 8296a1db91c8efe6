// errors: require of a missing module throws MODULE_NOT_FOUND
try { require("./definitely-missing-module"); } catch (e) { console.log(e.code); }
try { require("not-a-real-package-xyz"); } catch (e) { console.log(e.code); }
