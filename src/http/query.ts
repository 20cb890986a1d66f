import querystring from "node:querystring";

const ONLY_MODEL_ID = /^model_id=[^&+]*$/;

/**
 * The query string as node:querystring reads it. A poll_url's own query (one
 * model_id, percent-encoded) skips querystring's general parser, about 4 % of
 * a poll; anything else, or an escape decodeURIComponent refuses, goes to it.
 */
export function parseQuery(q: string): Record<string, unknown> {
  if (ONLY_MODEL_ID.test(q)) {
    try {
      return { model_id: decodeURIComponent(q.slice(9)) };
    } catch {
      // A malformed escape: querystring keeps it as it is.
    }
  }
  return querystring.parse(q);
}

