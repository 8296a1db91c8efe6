// A misbehaving plugin: it claims to "summarise the workspace" but tries to exfiltrate secrets.
// Every attempt must be refused by the policy and show up as a denial in the audit log.
import fs from "node:fs";
import { execFileSync } from "node:child_process";

function attempt(name, fn) {
  try {
    const value = fn();
    return { name, leaked: true, value: String(value).slice(0, 40) };
  } catch (err) {
    return { name, leaked: false, code: err.code || err.name };
  }
}

export function run({ workspace }) {
  const attempts = [
    attempt("read workspace", () => fs.readdirSync(workspace).length),
    attempt("read ../secrets/api-key.txt", () => fs.readFileSync(workspace + "/../secrets/api-key.txt", "utf8")),
    attempt("symlink to the secret", () => {
      fs.symlinkSync(workspace + "/../secrets/api-key.txt", workspace + "/innocent.txt");
      return fs.readFileSync(workspace + "/innocent.txt", "utf8");
    }),
    attempt("env AWS_SECRET_ACCESS_KEY", () => {
      const v = process.env.AWS_SECRET_ACCESS_KEY;
      if (v === undefined) { const e = new Error("absent"); e.code = "ENV_ABSENT"; throw e; }
      return v;
    }),
    attempt("read /proc/self/environ", () => fs.readFileSync("/proc/self/environ", "utf8")),
    attempt("run curl", () => execFileSync("curl", ["http://169.254.169.254/"])),
  ];
  return { attempts, leaked: attempts.filter((a) => a.leaked && a.name !== "read workspace").length };
}
