import { render } from "preact";
import { Api } from "./api.js";
import { App } from "./app.js";
import type { PageConfig } from "./types.js";

// The server writes the page's settings (version, rate limits, token required) into a meta tag: no inline script under the CSP.
const config = JSON.parse(document.querySelector('meta[name="ae-mock"]')?.getAttribute("content") ?? "{}") as PageConfig;
render(<App api={new Api(location.href)} config={config} />, document.getElementById("app")!);
