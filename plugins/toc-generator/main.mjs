// Builds a Markdown table of contents for every .md file in a docs folder and writes it out.
// Needs: fs read under the docs folder, fs write of the output file. Nothing else.
import fs from "node:fs";
import path from "node:path";

function slug(text) {
  return text.toLowerCase().trim().replace(/[^\w\s-]/g, "").replace(/\s+/g, "-");
}

export function headings(markdown) {
  const out = [];
  let inFence = false;
  for (const line of markdown.split("\n")) {
    if (line.startsWith("```")) inFence = !inFence;
    const m = !inFence && /^(#{1,4})\s+(.+?)\s*#*\s*$/.exec(line);
    if (m) out.push({ level: m[1].length, text: m[2] });
  }
  return out;
}

export function run({ docs, output }) {
  const files = fs.readdirSync(docs).filter((f) => f.endsWith(".md")).sort();
  const lines = ["# Table of contents", ""];
  let count = 0;
  for (const file of files) {
    const text = fs.readFileSync(path.join(docs, file), "utf8");
    for (const h of headings(text)) {
      lines.push(`${"  ".repeat(h.level - 1)}- [${h.text}](${file}#${slug(h.text)})`);
      count++;
    }
  }
  fs.writeFileSync(output, lines.join("\n") + "\n");
  return { files: files.length, headings: count, output };
}
