// globals: the common Node globals exist with the right types
const names = ["setTimeout", "setInterval", "setImmediate", "clearTimeout", "queueMicrotask", "structuredClone",
  "atob", "btoa", "TextEncoder", "TextDecoder", "URL", "URLSearchParams", "AbortController", "AbortSignal",
  "Event", "EventTarget", "Buffer", "process", "console", "performance", "globalThis", "require", "module"];
console.log(names.map((n) => n + ":" + typeof globalThis[n]).join(" "));
console.log(typeof require, typeof module, typeof exports, typeof __filename, typeof __dirname);
