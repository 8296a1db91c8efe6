// timers: a delay above 2^31-1 ms is clamped to 1 ms (warning on stderr)
setTimeout(() => console.log("overflowed timer ran"), 2 ** 31);
setTimeout(() => console.log("10ms timer"), 10);
