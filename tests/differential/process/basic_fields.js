// process: stable process fields: platform, types of pid/version/memoryUsage
console.log(process.platform, typeof process.pid, typeof process.version, process.version.startsWith("v"));
console.log(typeof process.versions, typeof process.memoryUsage().heapUsed, typeof process.uptime());
console.log(process.title.length > 0, typeof process.arch, process.release.name);
