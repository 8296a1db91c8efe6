// structured_clone: structuredClone refuses functions with DataCloneError
try { structuredClone({ f() {} }); } catch (e) { console.log(e.name, e instanceof Error); }
try { structuredClone(Symbol("s")); } catch (e) { console.log(e.name); }
