// url: URL handles IPv6 hosts and IDN punycode
console.log(new URL("http://[::1]:3000/x").hostname, new URL("http://[::1]:3000/x").host);
console.log(new URL("http://münchen.de/").hostname);
console.log(new URL("http://127.1/").hostname);
