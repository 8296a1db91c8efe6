// globals: number/date formatting that does not need Intl data
console.log((1234.5678).toFixed(2), (0.000001234).toPrecision(2), (255).toString(16), (1e21).toString());
console.log(new Date(Date.UTC(2020, 1, 29, 12, 0, 0)).toISOString(), new Date(0).getUTCFullYear());
console.log(JSON.stringify(new Date(Date.UTC(1999, 11, 31))), Date.UTC(2000, 0, 1));
console.log(parseInt("0x1f"), parseFloat("3.14abc"), Number("  12  "), Number(""), Number("1_000"));
