// buffer: global Buffer equals require('buffer').Buffer; constants
const buffer = require("node:buffer");
console.log(buffer.Buffer === Buffer, typeof buffer.kMaxLength, typeof buffer.constants.MAX_STRING_LENGTH);
console.log(buffer.atob("aGk="), buffer.btoa("hi"));
