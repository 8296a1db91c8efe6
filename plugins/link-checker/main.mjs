// Finds http(s) links in Markdown files and checks each with fetch.
// Needs: fs read of the docs folder, network access to the hosts it is allowed to reach.
// Links to private, loopback or cloud-metadata addresses are refused by the sandbox's guards.
import fs from "node:fs";
import path from "node:path";

export async function run({ docs }) {
  const links = new Set();
  for (const file of fs.readdirSync(docs).filter((f) => f.endsWith(".md"))) {
    const text = fs.readFileSync(path.join(docs, file), "utf8");
    for (const m of text.matchAll(/\((https?:\/\/[^)\s]+)\)/g)) links.add(m[1]);
  }
  const results = [];
  for (const url of [...links].sort()) {
    try {
      const res = await fetch(url, { method: "GET" });
      results.push({ url, ok: res.ok, status: res.status });
    } catch (err) {
      results.push({ url, ok: false, error: err.code || err.name });
    }
  }
  return { checked: results.length, results };
}
