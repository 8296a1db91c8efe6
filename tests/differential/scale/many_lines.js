// scale: 10,000 console.log calls keep order
for (let i = 0; i < 10000; i++) console.log(i);
