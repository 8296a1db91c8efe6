// url: URL parses protocol, host, port, pathname, search, hash
const u = new URL("https://user:pw@example.com:8080/p/a/t/h?query=string&x=1#frag");
for (const k of ["protocol", "username", "password", "host", "hostname", "port", "pathname", "search", "hash", "origin"]) console.log(k, u[k]);
