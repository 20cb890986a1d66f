// tsc compiles TypeScript only: the Redis store's Lua scripts are copied beside
// their compiled caller (src/store/redis/lua/*.lua -> dist/store/redis/lua/).
import { cpSync, readdirSync } from "node:fs";

const from = new URL("../src/store/redis/lua/", import.meta.url);
const to = new URL("../dist/store/redis/lua/", import.meta.url);
cpSync(from, to, { recursive: true, filter: (src) => !/\.[^/]+$/.test(src) || src.endsWith(".lua") });
console.log(`copied ${readdirSync(to).filter((f) => f.endsWith(".lua")).length} Lua scripts to dist/store/redis/lua/`);
