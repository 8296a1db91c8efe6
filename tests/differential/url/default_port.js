// url: URL drops default ports and lowercases scheme/host
console.log(new URL("HTTPS://Example.COM:443/x").href);
console.log(new URL("http://example.com:80").port === "", new URL("http://example.com:8080").port);
