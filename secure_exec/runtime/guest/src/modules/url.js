// url: WHATWG URL/URLSearchParams from whatwg-url-without-unicode (no Intl/punycode tables needed,
// which QuickJS lacks), plus Node's legacy parse/format/resolve and file URL helpers.
"use strict";

const whatwg = require("whatwg-url-without-unicode");
const { codedError, invalidArgType } = require("../internal/errors.js");

const { URLSearchParams } = whatwg;
if (!("size" in URLSearchParams.prototype)) {
  Object.defineProperty(URLSearchParams.prototype, "size", {
    get() { let n = 0; for (const _ of this) n++; return n; }, // eslint-disable-line no-unused-vars
    configurable: true, enumerable: true,
  });
}

/** WHATWG URL with Node's errors (ERR_INVALID_URL + input, ERR_MISSING_ARGS) and URL.canParse. */
const URL = class URL extends whatwg.URL {
  constructor(url, base) {
    if (arguments.length === 0) throw codedError(TypeError, "ERR_MISSING_ARGS", 'The "url" argument must be specified');
    try {
      if (arguments.length > 1 && base !== undefined) super(url, base);
      else super(url);
    } catch (err) {
      if (!(err instanceof TypeError)) throw err;
      const e = codedError(TypeError, "ERR_INVALID_URL", "Invalid URL");
      e.input = String(url);
      if (base !== undefined) e.base = String(base);
      throw e;
    }
  }
  static canParse(url, base) {
    try {
      new URL(url, base); // eslint-disable-line no-new
      return true;
    } catch {
      return false;
    }
  }
};

function fileURLToPath(u) {
  const url = typeof u === "string" ? new URL(u) : u;
  if (!url || typeof url.href !== "string") throw invalidArgType("path", "of type string or an instance of URL", u);
  if (url.protocol !== "file:") throw codedError(TypeError, "ERR_INVALID_URL_SCHEME", "The URL must be of scheme file");
  if (url.hostname !== "" && url.hostname !== "localhost") throw codedError(TypeError, "ERR_INVALID_FILE_URL_HOST", 'File URL host must be "localhost" or empty on linux');
  if (/%2f/i.test(url.pathname)) throw codedError(TypeError, "ERR_INVALID_FILE_URL_PATH", "File URL path must not include encoded / characters");
  return decodeURIComponent(url.pathname);
}

function pathToFileURL(p) {
  const path = require("path-browserify");
  let resolved = path.resolve(String(p));
  if (String(p).endsWith("/") && !resolved.endsWith("/")) resolved += "/";
  const encoded = resolved.replace(/%/g, "%25").replace(/\\/g, "%5C").replace(/\n/g, "%0A").replace(/\r/g, "%0D").replace(/\t/g, "%09").replace(/#/g, "%23").replace(/\?/g, "%3F");
  return new URL("file://" + encoded);
}

class Url {
  constructor() {
    this.protocol = null; this.slashes = null; this.auth = null; this.host = null; this.port = null;
    this.hostname = null; this.hash = null; this.search = null; this.query = null; this.pathname = null;
    this.path = null; this.href = null;
  }
}

/** Legacy url.parse: a regex split in Node's spirit (no validation), enough for common inputs. */
function parse(str, parseQueryString, slashesDenoteHost) {
  if (typeof str !== "string") throw invalidArgType("url", "of type string", str);
  const u = new Url();
  let rest = str.trim();
  const hashI = rest.indexOf("#");
  if (hashI !== -1) { u.hash = rest.slice(hashI); rest = rest.slice(0, hashI); }
  const qI = rest.indexOf("?");
  if (qI !== -1) { u.search = rest.slice(qI); u.query = rest.slice(qI + 1); rest = rest.slice(0, qI); }
  else if (parseQueryString) { u.search = ""; u.query = {}; }
  const proto = /^([a-z0-9.+-]+:)/i.exec(rest);
  if (proto) { u.protocol = proto[1].toLowerCase(); rest = rest.slice(proto[1].length); }
  if ((proto || slashesDenoteHost) && rest.startsWith("//") && u.protocol !== "javascript:") {
    u.slashes = true;
    rest = rest.slice(2);
    const end = rest.search(/[/]/);
    let hostPart = end === -1 ? rest : rest.slice(0, end);
    rest = end === -1 ? "" : rest.slice(end);
    const at = hostPart.lastIndexOf("@");
    if (at !== -1) { u.auth = decodeURIComponent(hostPart.slice(0, at)); hostPart = hostPart.slice(at + 1); }
    const pm = /:(\d*)$/.exec(hostPart);
    if (pm) { u.port = pm[1] || null; hostPart = hostPart.slice(0, pm.index); }
    u.hostname = hostPart.toLowerCase().replace(/^\[|\]$/g, "");
    u.host = hostPart.toLowerCase() + (u.port ? ":" + u.port : "");
    if (!rest && ["http:", "https:", "ftp:", "ws:", "wss:", "file:"].includes(u.protocol)) rest = "/";
  }
  u.pathname = rest || (u.slashes ? "/" : null);
  if (parseQueryString && typeof u.query === "string") u.query = require("querystring-es3").parse(u.query);
  u.path = (u.pathname || "") + (u.search || "") || null;
  u.href = format(u);
  return u;
}

function format(obj) {
  if (typeof obj === "string") obj = parse(obj);
  if (obj instanceof URL) return obj.href;
  const protocol = obj.protocol ? (obj.protocol.endsWith(":") ? obj.protocol : obj.protocol + ":") : "";
  let host = "";
  if (obj.host) host = obj.host;
  else if (obj.hostname) host = (obj.hostname.includes(":") ? `[${obj.hostname}]` : obj.hostname) + (obj.port ? ":" + obj.port : "");
  const auth = obj.auth ? encodeURIComponent(obj.auth).replace(/%3A/i, ":") + "@" : "";
  let search = obj.search || "";
  if (!search && obj.query && typeof obj.query === "object") {
    const q = require("querystring-es3").stringify(obj.query);
    if (q) search = "?" + q;
  } else if (search && !search.startsWith("?")) search = "?" + search;
  let hash = obj.hash || "";
  if (hash && !hash.startsWith("#")) hash = "#" + hash;
  let pathname = obj.pathname || "";
  const slashes = obj.slashes || ["http:", "https:", "ftp:", "ws:", "wss:", "file:"].includes(protocol);
  const prefix = slashes || host ? "//" : "";
  if (prefix && pathname && !pathname.startsWith("/")) pathname = "/" + pathname;
  return `${protocol}${prefix}${auth}${host}${pathname}${search}${hash}`;
}

function resolve(from, to) {
  try {
    return new URL(to, new URL(from, "resolve://")).href.replace(/^resolve:\/\/\/?/, from.startsWith("/") ? "/" : "");
  } catch {
    return to;
  }
}

function domainToASCII(d) { try { return new URL("http://" + d).hostname; } catch { return ""; } }

module.exports = { URL, URLSearchParams, Url, parse, format, resolve, fileURLToPath, pathToFileURL, domainToASCII, domainToUnicode: (d) => String(d) };
