// process: process.stdout.write writes without a newline
process.stdout.write("a");
process.stdout.write("b\n");
console.log(process.stdout.write("c\n"));
