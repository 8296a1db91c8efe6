// buffer: Buffer.from with hex/base64/base64url input
console.log(Buffer.from("68656c6c6f", "hex").toString());
console.log(Buffer.from("aGVsbG8gd29ybGQ=", "base64").toString());
console.log(Buffer.from("-_8", "base64url").toString("hex"));
console.log(Buffer.from("zz", "hex").length);
