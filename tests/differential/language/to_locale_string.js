// language: toLocaleString / Intl formatting of numbers and dates in the default en-US locale
console.log((1234567.891).toLocaleString());
console.log((0.5).toLocaleString("en-US", { style: "percent" }));
console.log(new Date(Date.UTC(2020, 0, 2)).toLocaleDateString("en-US", { timeZone: "UTC" }));
console.log(["b", "a", "C"].sort((x, y) => x.localeCompare(y)).join(""));
