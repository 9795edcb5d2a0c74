// The WebAssembly engine (wasm/ckp.js + ckp.wasm, built from the C++ engine) and a promise-based face on it.
// No engine logic lives here: batching, concurrency, pacing, retries and journals all run in the module.

let loading = null;

/**
 * Wraps a callback the engine calls: an exception must not unwind through the engine (C++ cannot catch it and
 * would be left mid-step), so it is rethrown on a later turn of the event loop instead.
 */
function guard(fn) {
  return (...args) => {
    try {
      return fn(...args);
    } catch (e) {
      setTimeout(() => {
        throw e;
      }, 0);
    }
  };
}

/** Loads the engine once; resolves to the Emscripten module. */
export function loadEngine() {
  if (!loading) {
    loading = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = "wasm/ckp.js";
      script.onload = () => {
        createCkpModule({ locateFile: (file) => "wasm/" + file }).then(resolve, reject);
      };
      script.onerror = () =>
        reject(
          new Error(
            "The WebAssembly engine (wasm/ckp.js) could not be loaded. Was it built? " +
              "(cmake with emscripten installed builds it into build/wasm.)",
          ),
        );
      document.head.append(script);
    });
  }
  return loading;
}

/**
 * One connection to the API through the console server.
 * Every method resolves to {ok: true, result} or {ok: false, error: {kind, message, http_status, code, retry_after_s}}.
 */
export class Api {
  /** @p apiBase: the API the console server forwards to; jobs record it, and resume only against it. */
  constructor(engine, { secret, token, apiBase }) {
    this.engine = engine;
    this.session = new engine.Session(
      JSON.stringify({
        base_url: "/client/v4",
        api_base: apiBase || "",
        token: token || "",
        headers: { "X-Ckp-Console": secret },
      }),
    );
  }

  setToken(token) {
    this.session.setToken(token || "");
  }

  #call(method, ...args) {
    return new Promise((resolve) =>
      this.session[method](
        ...args,
        guard((text) => resolve(JSON.parse(text))),
      ),
    );
  }

  zones(accountId) {
    return this.#call("zones", accountId || "");
  }
  namespaces(accountId) {
    return this.#call("namespaces", accountId);
  }
  keys(accountId, namespaceId, prefix, cursor, limit) {
    return this.#call("keys", accountId, namespaceId, prefix || "", cursor || "", limit);
  }
  getKey(accountId, namespaceId, key) {
    return this.#call("getKey", accountId, namespaceId, key);
  }
  putKey(accountId, namespaceId, key, value, options) {
    return this.#call("putKey", accountId, namespaceId, key, value, JSON.stringify(options || {}));
  }
  deleteKey(accountId, namespaceId, key) {
    return this.#call("deleteKey", accountId, namespaceId, key);
  }

  /** Starts a bulk delete (or its dry run); see Job below. */
  bulkDelete(spec, handlers) {
    return new Job((cbs) => this.session.bulkDelete(JSON.stringify(spec), cbs), handlers);
  }
  /** Starts a cache purge of @p items (text, one per line). */
  purge(spec, items, handlers) {
    return new Job((cbs) => this.session.purge(JSON.stringify(spec), items, cbs), handlers);
  }
  /** Resumes a journaled job. */
  resume(jobId, handlers) {
    return new Job((cbs) => this.session.resume(jobId, cbs), handlers);
  }

  /** Checks one input as the engine will: null when fine, else an error object. */
  validate(kind, text) {
    const r = this.engine.validate(kind, text);
    return r ? JSON.parse(r) : null;
  }
  /** The journaled jobs in this browser. */
  jobs() {
    return JSON.parse(this.engine.listJobs());
  }
  forgetJob(id) {
    this.engine.forgetJob(id);
  }
}

/**
 * A running operation. @p handlers: {progress(p), finished(report)}. Progress carries Progress::to_json() plus
 * job_id and blocked_s; the report is OpReport::to_json() plus job_id and resumable.
 */
export class Job {
  constructor(start, { progress, finished }) {
    this.done = new Promise((resolve) => {
      this.handle = start({
        onProgress: guard((text) => progress && progress(JSON.parse(text))),
        onFinished: guard((text) => {
          const report = JSON.parse(text);
          if (finished) finished(report);
          resolve(report);
          // The engine keeps the job alive until it has ended; the page's handle can go now.
          setTimeout(() => this.handle.delete(), 0);
        }),
      });
    });
    this.id = this.handle.id();
  }

  cancel() {
    if (!this.handle.isDeleted()) this.handle.cancel();
  }
}
