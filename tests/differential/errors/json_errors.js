// errors: JSON.parse errors are SyntaxError; JSON.stringify of cycles/BigInt throws TypeError
for (const s of ["{bad", "", "[1,]", "{\"a\":1}x"]) {
  try { JSON.parse(s); } catch (e) { console.log(JSON.stringify(s), e.name); }
}
const o = {}; o.self = o;
try { JSON.stringify(o); } catch (e) { console.log(e.name); }
try { JSON.stringify({ n: 1n }); } catch (e) { console.log(e.name); }
