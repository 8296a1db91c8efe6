// errors: Error.prototype.toString with empty or missing fields
console.log(String(new Error("")), String(new TypeError()));
const e = new Error("m"); e.name = ""; console.log(String(e));
console.log(Error.prototype.toString.call({ name: "N", message: "M" }));
