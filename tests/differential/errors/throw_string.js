// errors: throwing a non-Error string is uncaught -> exit 1
console.log("start");
throw "a plain string";
