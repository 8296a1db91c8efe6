// language: Date parsing of ISO and RFC 2822 strings, UTC getters
console.log(new Date("2020-01-01").getTime(), new Date("2020-01-01T10:20:30Z").getUTCHours());
console.log(Date.parse("Tue, 01 Jan 2019 00:00:00 GMT"), Date.parse("2019-01-01T00:00:00.000+02:00"));
console.log(isNaN(Date.parse("not a date")), new Date(8.64e15 + 1).getTime());
console.log(new Date(Date.UTC(2021, 5, 15)).toUTCString());
