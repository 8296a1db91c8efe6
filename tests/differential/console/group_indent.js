// console: console.group indents nested output by two spaces
console.group("outer");
console.log("in outer");
console.group();
console.log("in inner");
console.groupEnd();
console.groupEnd();
console.log("back");
