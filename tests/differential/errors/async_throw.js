// errors: async function errors become rejections caught by await
async function boom() { throw new SyntaxError("async boom"); }
(async () => {
  try { await boom(); } catch (e) { console.log("caught", e.name, e.message); }
  const r = await Promise.allSettled([boom(), Promise.resolve(1)]);
  console.log(r.map((x) => x.status).join(","));
})();
