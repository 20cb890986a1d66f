import { randomBytes } from "node:crypto";

const PLACEHOLDER = /<redacted:(key|secret|auth)-([0-9a-f]{10})>/g;
const ID_FIELD = /(^|_)id$|Id$/;
const URLISH = /^https?:\/\//;

/**
 * What a replay needs to send recorded requests to another target: each
 * redacted key becomes a fresh key of its own, each redacted webhook secret a
 * secret the replay knows, and every id the recording learned (job ids,
 * delivery ids) the id the replay target gave for the same thing.
 */
export class Substitutions {
  readonly ids = new Map<string, string>();
  /** Absolute URLs in recorded answers (result images) → the replay's URL at the same place. */
  readonly urls = new Map<string, string>();
  readonly #keys = new Map<string, string>();
  readonly #secrets = new Map<string, string>();
  readonly #run = randomBytes(3).toString("hex");

  keyFor(tag: string): string {
    let k = this.#keys.get(tag);
    if (!k) this.#keys.set(tag, (k = `ae_test_replay_${tag}_${this.#run}`));
    return k;
  }

  secretFor(tag: string): string {
    let s = this.#secrets.get(tag);
    if (!s) this.#secrets.set(tag, (s = `whsec_replay_${tag}_${this.#run}`));
    return s;
  }

  text(s: string): string {
    let out = s.replace(PLACEHOLDER, (_m, kind: string, tag: string) =>
      kind === "key" ? this.keyFor(tag) : kind === "secret" ? this.secretFor(tag) : "invalid-redacted-credential");
    out = out.replace("?<redacted:signed-query>", "");
    for (const [from, to] of this.ids) if (out.includes(from)) out = out.split(from).join(to);
    return out;
  }

  /** A recorded request body made ready to send; webhook_url goes to the replay's receiver. */
  body(v: unknown, webhookUrl: string, name = ""): unknown {
    if (typeof v === "string") return name === "webhook_url" ? webhookUrl : this.text(v);
    if (Array.isArray(v)) return v.map((x) => this.body(x, webhookUrl, name));
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, this.body(x, webhookUrl, k)]));
    return v;
  }

  /** Walks a recorded answer and the replay's answer side by side, learning ids and URLs that differ. */
  learn(recorded: unknown, replayed: unknown, name = ""): void {
    if (typeof recorded === "string" && typeof replayed === "string") {
      if (recorded === replayed) return;
      if (ID_FIELD.test(name) && recorded.length >= 6) this.ids.set(recorded, replayed);
      else if (URLISH.test(recorded) && URLISH.test(replayed)) this.urls.set(recorded, replayed);
    } else if (Array.isArray(recorded) && Array.isArray(replayed)) {
      recorded.forEach((r, i) => this.learn(r, replayed[i], name));
    } else if (recorded && replayed && typeof recorded === "object" && typeof replayed === "object") {
      for (const [k, r] of Object.entries(recorded)) this.learn(r, (replayed as Record<string, unknown>)[k], k);
    }
  }
}
