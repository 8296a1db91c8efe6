// buffer: console.log of a Buffer prints <Buffer ..>
console.log(Buffer.from("hi!"));
console.log(Buffer.alloc(0));
console.log(String(Buffer.from("text")));
