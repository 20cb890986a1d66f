// What `import fetch from "node-fetch"` gets: the global fetch, loopback guard included, looked up per call.
export default (...args) => globalThis.fetch(...args);
