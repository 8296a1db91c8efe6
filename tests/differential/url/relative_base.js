// url: URL resolves relative references against a base
const base = "https://example.org/a/b/c?q=1";
for (const rel of ["d", "../e", "/root", "?only=query", "#h", "//other.host/x"]) console.log(new URL(rel, base).href);
