// errors: try/catch/finally ordering and rethrow
function f() {
  try { console.log("try"); throw new Error("x"); }
  catch (e) { console.log("catch", e.message); return "from catch"; }
  finally { console.log("finally"); }
}
console.log(f());
try { try { throw new RangeError("inner"); } finally { console.log("cleanup"); } } catch (e) { console.log(e.name); }
