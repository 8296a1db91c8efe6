// scale: a single 200 KB console.log line arrives complete
const line = "x".repeat(200000);
console.log(line);
console.log("end", line.length);
