// errors: Error name/message/instanceof and toString
const err = new Error("msg");
console.log(err.name, err.message, String(err), err instanceof Error, typeof err.stack);
const te = new TypeError("bad type");
console.log(te.name, te instanceof TypeError, te instanceof Error, Object.prototype.toString.call(te));
