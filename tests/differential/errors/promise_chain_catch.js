// errors: errors thrown in a then-chain skip to the next catch
Promise.resolve(1)
  .then((v) => { console.log("then", v); throw new TypeError("mid-chain"); })
  .then(() => console.log("skipped"))
  .catch((e) => { console.log("catch", e.name, e.message); return "recovered"; })
  .finally(() => console.log("finally"))
  .then((v) => console.log("after", v));
