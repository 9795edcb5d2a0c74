// Small DOM helpers shared by the panels.

/** The element with id @p id (throws when missing: a typo should fail loudly). */
export function byId(id) {
  const el = document.getElementById(id);
  if (!el) throw new Error(`no element #${id}`);
  return el;
}

/** Shows or hides @p el. */
export function show(el, visible = true) {
  el.hidden = !visible;
}

const numberFormat = new Intl.NumberFormat("en-US");

/** 20000 → "20,000". */
export function num(n) {
  return numberFormat.format(Math.round(n));
}

/** A duration in seconds, in words: "42 s", "3 min 5 s", "1 h 2 min". */
export function duration(seconds) {
  if (seconds == null || !isFinite(seconds)) return "—";
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** Unix seconds → local date and time. */
export function when(unixSeconds) {
  if (!unixSeconds) return "—";
  return new Date(unixSeconds * 1000).toLocaleString();
}

/** Creates an element with properties and children. */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === "class") el.className = v;
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k.startsWith("aria-") || k === "role" || k === "for") el.setAttribute(k, v);
    else el[k] = v;
  }
  for (const c of children.flat()) if (c != null) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

/**
 * Asks for confirmation in the page's modal dialog. @p body is a node or text; resolves to true when confirmed.
 * Focus starts on Cancel, Escape cancels, and focus returns to where it was.
 */
export function confirmDialog({ title, body, confirmLabel }) {
  const dialog = byId("confirm");
  byId("confirm-h").textContent = title;
  const bodyEl = byId("confirm-body");
  bodyEl.replaceChildren(typeof body === "string" ? h("p", {}, body) : body);
  byId("confirm-ok").textContent = confirmLabel;
  const before = document.activeElement;
  dialog.returnValue = "";
  return new Promise((resolve) => {
    dialog.addEventListener(
      "close",
      () => {
        if (before && before.focus) before.focus();
        resolve(dialog.returnValue === "confirm");
      },
      { once: true },
    );
    dialog.showModal();
    byId("confirm-cancel").focus();
  });
}
