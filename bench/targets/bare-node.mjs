// The runtime's limit: node:http answering a fixed, pre-serialised JSON body.
import http from "node:http";
import { BODY } from "./body.mjs";

const payload = Buffer.from(JSON.stringify(BODY));
const server = http.createServer({ keepAliveTimeout: 5_000 }, (_req, res) => {
  res.writeHead(200, { "Content-Type": "application/json; charset=utf-8", "Content-Length": payload.length });
  res.end(payload);
});
server.listen(0, "127.0.0.1", () => console.log(`listening ${server.address().port}`));
