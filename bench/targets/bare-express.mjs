// The framework's own ceiling: Express 5 with express.json() mounted, answering
// a fixed JSON body with res.json(), configured like the mock (no ETag, no X-Powered-By).
import http from "node:http";
import express from "express";
import { BODY } from "./body.mjs";

const app = express();
app.disable("x-powered-by");
app.set("etag", false);
app.use(express.json());
app.get("/{*any}", (_req, res) => void res.json(BODY));
app.post("/{*any}", (_req, res) => void res.status(202).json(BODY));
const server = http.createServer({ keepAliveTimeout: 5_000 }, app);
server.listen(0, "127.0.0.1", () => console.log(`listening ${server.address().port}`));
