// globals: atob/btoa round-trip and reject invalid input
console.log(btoa("hello"), atob("aGVsbG8="));
try { btoa("€"); } catch (e) { console.log(e.name); }
try { atob("***"); } catch (e) { console.log(e.name); }
