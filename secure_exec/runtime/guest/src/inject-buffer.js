// Free `Buffer` references in bundled packages (whatwg-url) resolve to the npm buffer package.
export { Buffer } from "buffer";
