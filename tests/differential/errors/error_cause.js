// errors: Error cause option and AggregateError from Promise.any
const e = new Error("outer", { cause: new Error("inner") });
console.log(e.cause.message, "cause" in new Error("x"));
Promise.any([Promise.reject(new Error("a")), Promise.reject(new Error("b"))]).catch((agg) => {
  console.log(agg.name, agg instanceof AggregateError, agg.errors.map((x) => x.message).join(","));
});
