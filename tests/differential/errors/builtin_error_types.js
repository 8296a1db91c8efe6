// errors: engine errors have the right constructor (message text not compared)
try { null.x; } catch (e) { console.log(e.name, e instanceof TypeError); }
try { undefinedVariable; } catch (e) { console.log(e.name); }
try { new Array(-1); } catch (e) { console.log(e.name); }
try { eval("{"); } catch (e) { console.log(e.name); }
try { decodeURIComponent("%"); } catch (e) { console.log(e.name); }
