// url: invalid URLs throw a TypeError with code ERR_INVALID_URL
try { new URL("not a url"); } catch (e) { console.log(e.name, e.code, e.input); }
try { new URL("/path-only"); } catch (e) { console.log(e.name, e.code); }
console.log(typeof URL.canParse === "function" ? URL.canParse("x:/y") + " " + URL.canParse("nope") : "no canParse");
