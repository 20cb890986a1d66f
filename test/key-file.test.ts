import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { KeyFileError, parseKeyFile } from "../src/domain/key-policy.js";
import { loadKeyPolicy } from "../src/key-file.js";
import { OptionsError, resolveOptions } from "../src/options.js";

const A = "ae_test_alice0001";
const B = "ae_live_bob000001";
const parse = (text: string) => parseKeyFile(text, "keys.yaml", 1000);
const failure = (text: string) => {
  try {
    parse(text);
  } catch (e) {
    expect(e).toBeInstanceOf(KeyFileError);
    return (e as Error).message;
  }
  throw new Error("parsed without an error");
};

describe("parseKeyFile", () => {
  it("reads a JSON map of keys to starting credits", () => {
    expect(parse(`{ "${A}": 500, "${B}": 0 }`)).toEqual(new Map([[A, 500], [B, 0]]));
  });

  it("reads the same map written as YAML, comments included", () => {
    expect(parse(`# team keys\n${A}: 500\n${B}: 0\n`)).toEqual(new Map([[A, 500], [B, 0]]));
  });

  it("reads a list of keys, each starting with --credits, or of { key, credits }", () => {
    expect(parse(`["${A}", { "key": "${B}", "credits": 25 }]`)).toEqual(new Map([[A, 1000], [B, 25]]));
    expect(parse(`- ${A}\n- key: ${B}\n`)).toEqual(new Map([[A, 1000], [B, 1000]]));
  });

  it.each([
    [`{ "ae_test_short": 5 }`, `keys.yaml: entry "ae_test_short": "ae_test_short" is not an API key`],
    [`{ "${A}": -5 }`, `keys.yaml: entry "${A}": credits must be a whole number from 0 to 1000000000000, not -5`],
    [`{ "${A}": 2.5 }`, "not 2.5"],
    [`{ "${A}": "100" }`, `not "100"`],
    [`{ "${A}": null }`, "not null"],
    [`- ${A}\n- ${A}\n`, `keys.yaml: entry 2: "${A}" is listed twice`],
    [`${A}: 1\n${A}: 2\n`, "keys.yaml: not valid JSON or YAML (line 2, column 1): Map keys must be unique"],
    [`{ "${A}": 1,\n  "${B}" 2 }`, "keys.yaml: not valid JSON or YAML (line 2"],
    [`- 42\n`, "keys.yaml: entry 1: must be a key or"],
    [`- { key: ${A}, credit: 5 }\n`, `keys.yaml: entry 1: unknown field "credit" (only key and credits)`],
    [`- { credits: 5 }\n`, `keys.yaml: entry 1: missing "key"`],
    ["", "keys.yaml: must be a map of API keys to credits, or a list of keys; found nothing"],
    ["42", "found 42"],
    ["{}", "keys.yaml: lists no keys (every request would get 401); use --keys auto"],
  ])("refuses %j, naming the file and the entry", (text, message) => {
    expect(failure(text)).toContain(message);
  });
});

describe("loadKeyPolicy", () => {
  const dir = mkdtempSync(join(tmpdir(), "ae-keys-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  it("is auto, with --credits and --max-keys, by default", () => {
    expect(loadKeyPolicy(resolveOptions({ credits: 40, maxKeys: 5 }))).toEqual({ mode: "auto", credits: 40, maxKeys: 5 });
  });

  it("loads a JSON or YAML keys file at start-up", () => {
    const json = loadKeyPolicy(resolveOptions({ keys: file("keys.json", JSON.stringify({ [A]: 10 })) }));
    const yaml = loadKeyPolicy(resolveOptions({ keys: file("keys.yml", `- ${A}\n`), credits: 3 }));
    expect(json).toMatchObject({ mode: "file", keys: new Map([[A, 10]]) });
    expect(yaml).toMatchObject({ mode: "file", keys: new Map([[A, 3]]) });
  });

  it("turns a missing, unreadable or invalid file into an OptionsError naming --keys and the file", () => {
    const missing = join(dir, "nope.json");
    expect(() => loadKeyPolicy(resolveOptions({ keys: missing }))).toThrow(new OptionsError(`--keys ${missing}: cannot read the keys file (no such file)`));
    expect(() => loadKeyPolicy(resolveOptions({ keys: dir }))).toThrow(`--keys ${dir}: cannot read the keys file (is a directory)`);
    const bad = file("bad.yaml", `${A}: lots\n`);
    expect(() => loadKeyPolicy(resolveOptions({ keys: bad }))).toThrow(`--keys ${bad}: entry "${A}": credits must be a whole number`);
  });

  it("validates --keys and --max-keys with the other options", () => {
    expect(() => resolveOptions({ keys: " " })).toThrow(/^--keys: /);
    expect(() => resolveOptions({ maxKeys: 0 })).toThrow(/^--max-keys: /);
    expect(resolveOptions({}).maxKeys).toBe(100_000);
  });
});
