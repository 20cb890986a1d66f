// Rewrites the README's generated tables from their sources (run after `npm run build`).
import { readFileSync, writeFileSync } from "node:fs";
import { renderReadme } from "../dist/docs/tables.js";

const path = new URL("../README.md", import.meta.url);
const before = readFileSync(path, "utf8");
const after = renderReadme(before);
writeFileSync(path, after);
console.log(before === after ? "README.md tables already up to date" : "README.md tables updated");
