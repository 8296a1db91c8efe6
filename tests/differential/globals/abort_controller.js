// globals: AbortController aborts its signal once with a reason and fires 'abort'
const ac = new AbortController();
ac.signal.addEventListener("abort", () => console.log("abort event", ac.signal.aborted));
console.log(ac.signal.aborted);
ac.abort(new Error("stop"));
ac.abort();
console.log(ac.signal.reason.message);
const pre = AbortSignal.abort();
console.log(pre.aborted, pre.reason.name);
try { pre.throwIfAborted(); } catch (e) { console.log("thrown", e.name); }
