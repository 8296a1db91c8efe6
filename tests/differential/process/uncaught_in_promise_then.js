// process: an Error thrown inside a then callback without catch exits with 1
Promise.resolve().then(() => { console.log("in then"); throw new Error("escaped"); });
