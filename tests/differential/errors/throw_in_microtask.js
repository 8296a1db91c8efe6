// errors: an error thrown from queueMicrotask is uncaught: exit 1
queueMicrotask(() => { console.log("micro"); throw new Error("from microtask"); });
setTimeout(() => console.log("never"), 5);
