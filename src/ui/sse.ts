/**
 * A Server-Sent Events parser for a fetch() body. EventSource cannot send the
 * X-Mock-Admin-Token header, so the dashboard reads the stream itself.
 * Follows the HTML spec's field rules: `:` comments, `id`, `event`, `data`
 * (joined by newlines), `retry`; a blank line dispatches.
 */

export interface SseMessage {
  id: string | null;
  event: string;
  data: string;
}

export class SseParser {
  #buffer = "";
  #data: string[] = [];
  #event = "";
  /** The last id seen, kept across messages as the spec's "last event ID". */
  lastEventId: string | null = null;
  retryMs: number | null = null;
  /** Comments seen (heartbeats), so a watchdog can tell a quiet stream from a dead one. */
  comments = 0;

  /** Feeds decoded text; returns the messages completed by it. */
  push(text: string): SseMessage[] {
    this.#buffer += text;
    const out: SseMessage[] = [];
    let start = 0;
    for (;;) {
      const nl = this.#buffer.slice(start).search(/\r\n|\r|\n/);
      if (nl === -1) break;
      const end = start + nl;
      // A lone \r at the very end may be half of \r\n: wait for the next chunk.
      if (this.#buffer[end] === "\r" && end + 1 === this.#buffer.length) break;
      const width = this.#buffer.startsWith("\r\n", end) ? 2 : 1;
      this.#line(this.#buffer.slice(start, end), out);
      start = end + width;
    }
    this.#buffer = this.#buffer.slice(start);
    return out;
  }

  #line(line: string, out: SseMessage[]): void {
    if (line === "") {
      if (this.#data.length > 0) out.push({ id: this.lastEventId, event: this.#event || "message", data: this.#data.join("\n") });
      this.#data = [];
      this.#event = "";
      return;
    }
    if (line.startsWith(":")) {
      this.comments += 1;
      return;
    }
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") this.#data.push(value);
    else if (field === "event") this.#event = value;
    else if (field === "id" && !value.includes("\u0000")) this.lastEventId = value;
    else if (field === "retry" && /^\d+$/.test(value)) this.retryMs = Number(value);
  }
}
