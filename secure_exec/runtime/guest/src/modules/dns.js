// dns: lookup only (one host op, dns.lookup); the host applies the network policy to the name.
"use strict";

const host = require("../internal/host.js");
const loop = require("../internal/loop.js");
const { notSupported, invalidArgType } = require("../internal/errors.js");

function lookupSync(hostname, options) {
  if (typeof hostname !== "string") throw invalidArgType("hostname", "of type string", hostname);
  const o = typeof options === "number" ? { family: options } : options || {};
  const family = o.family === "IPv4" ? 4 : o.family === "IPv6" ? 6 : Number(o.family) || 0;
  const res = host.call("dns.lookup", { hostname, family }, { syscall: "getaddrinfo", path: undefined });
  const addrs = (res && res.addresses) || [];
  if (addrs.length === 0) {
    const err = new Error(`getaddrinfo ENOTFOUND ${hostname}`);
    Object.assign(err, { errno: -3008, code: "ENOTFOUND", syscall: "getaddrinfo", hostname });
    throw err;
  }
  return { addrs, all: !!o.all };
}

function lookup(hostname, options, cb) {
  if (typeof options === "function") { cb = options; options = {}; }
  if (typeof cb !== "function") throw invalidArgType("callback", "of type function", cb);
  try {
    const { addrs, all } = lookupSync(hostname, options);
    if (all) loop.nextTick(cb, [null, addrs.map((a) => ({ address: a.address, family: a.family }))]);
    else loop.nextTick(cb, [null, addrs[0].address, addrs[0].family]);
  } catch (err) {
    if (err.hostname === undefined) err.hostname = hostname;
    loop.nextTick(cb, [err]);
  }
}

const unsupported = (n) => () => { throw notSupported(`dns.${n}`); };

const promises = {
  lookup: async (hostname, options) => {
    const { addrs, all } = lookupSync(hostname, options);
    return all ? addrs.map((a) => ({ address: a.address, family: a.family })) : { address: addrs[0].address, family: addrs[0].family };
  },
  resolve: unsupported("promises.resolve"), resolve4: unsupported("promises.resolve4"), resolve6: unsupported("promises.resolve6"),
};

module.exports = {
  lookup, promises, resolve: unsupported("resolve"), resolve4: unsupported("resolve4"), resolve6: unsupported("resolve6"),
  resolveMx: unsupported("resolveMx"), resolveTxt: unsupported("resolveTxt"), reverse: unsupported("reverse"),
  setServers: unsupported("setServers"), getServers: () => [],
};
