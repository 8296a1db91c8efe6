// process: process.exit(-1) exits with 255
process.exit(-1);
