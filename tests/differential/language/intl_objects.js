// language: Intl.NumberFormat / DateTimeFormat / Collator exist and format en-US
console.log(typeof Intl);
console.log(new Intl.NumberFormat("en-US", { maximumFractionDigits: 1 }).format(9876.54));
console.log(new Intl.DateTimeFormat("en-US", { timeZone: "UTC", year: "numeric", month: "long" }).format(new Date(0)));
