// Just enough of the browser for the WebAssembly engine under Node.js: an asynchronous XMLHttpRequest over node:http
// (what Emscripten's fetch uses) and an in-memory localStorage.
import http from "node:http";

/** The subset of XMLHttpRequest that Emscripten 3.1's Fetch.js uses. */
export class NodeXMLHttpRequest {
  constructor() {
    this.readyState = 0;
    this.status = 0;
    this.statusText = "";
    this.response = null;
    this.responseType = "";
    this.timeout = 0;
    this.withCredentials = false;
    this.headers = {};
    this.responseHeaders = {};
  }
  open(method, url) {
    this.method = method;
    this.url = url;
    this.readyState = 1;
  }
  overrideMimeType() {}
  setRequestHeader(name, value) {
    this.headers[name] = value;
  }
  getAllResponseHeaders() {
    return Object.entries(this.responseHeaders)
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join("");
  }
  send(body) {
    const req = http.request(
      this.url,
      { method: this.method, headers: this.headers, timeout: this.timeout || undefined },
      (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => {
          const buf = Buffer.concat(chunks);
          this.status = res.statusCode;
          this.statusText = res.statusMessage;
          this.responseHeaders = res.headers;
          this.response = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
          this.readyState = 4;
          this.onreadystatechange?.({});
          this.onload?.({ loaded: buf.byteLength, total: buf.byteLength });
        });
        res.on("error", () => this.#fail());
      },
    );
    req.on("timeout", () => {
      req.destroy();
      this.readyState = 4;
      this.ontimeout?.({});
    });
    req.on("error", () => this.#fail());
    if (body) req.write(Buffer.from(body));
    req.end();
  }
  #fail() {
    if (this.readyState === 4) return;
    this.readyState = 4;
    this.status = 0;
    this.onerror?.({});
  }
}

/** localStorage in memory (Storage's interface). */
export class MemoryStorage {
  #map = new Map();
  get length() {
    return this.#map.size;
  }
  key(i) {
    return [...this.#map.keys()][i] ?? null;
  }
  getItem(k) {
    return this.#map.has(k) ? this.#map.get(k) : null;
  }
  setItem(k, v) {
    this.#map.set(k, String(v));
  }
  removeItem(k) {
    this.#map.delete(k);
  }
  keys() {
    return [...this.#map.keys()];
  }
}
