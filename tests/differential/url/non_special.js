// url: non-special schemes keep opaque paths
const u = new URL("mailto:someone@example.com?subject=hi");
console.log(u.protocol, u.pathname, u.search, u.host === "");
const d = new URL("data:text/plain,hello");
console.log(d.protocol, d.pathname);
