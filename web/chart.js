// A live chart of a job's request rate and concurrency, drawn on a canvas. The canvas has a text alternative that
// the job view keeps current (the same figures are in the text above the chart).

const MAX_POINTS = 600;
/** Seconds of snapshots a rate is measured over. */
const RATE_WINDOW_S = 2;

export class RateChart {
  /** @p canvas: the element to draw on. */
  constructor(canvas) {
    this.canvas = canvas;
    this.points = []; // {t, rate, concurrency, inflight}
    this.recent = []; // {t, requests} of the last RATE_WINDOW_S seconds (and the one just before them)
    this.observer = new ResizeObserver(() => this.draw());
    this.observer.observe(canvas);
  }

  /**
   * Adds a progress snapshot (needs elapsed_s, requests, concurrency, inflight). The rate is measured over the last
   * RATE_WINDOW_S seconds of snapshots, not between two of them: snapshots come about four times a second, and a
   * quarter second holds one or two requests' answers, so a two-point rate zig-zags with the sampling, not with the
   * traffic.
   */
  add(p) {
    const t = p.elapsed_s;
    if (this.recent.length && t <= this.recent[this.recent.length - 1].t) return;
    this.recent.push({ t, requests: p.requests });
    while (this.recent.length > 2 && t - this.recent[1].t >= RATE_WINDOW_S) this.recent.shift();
    const first = this.recent[0];
    const rate = t > first.t ? (p.requests - first.requests) / (t - first.t) : 0;
    this.points.push({ t, rate: Math.max(0, rate), concurrency: p.concurrency, inflight: p.inflight });
    if (this.points.length > MAX_POINTS) {
      // Halve the resolution of the older half: the whole run stays visible in bounded memory.
      const keep = [];
      for (let i = 0; i < this.points.length; i += 2) keep.push(this.points[i]);
      this.points = keep;
    }
    this.draw();
  }

  /** The latest request rate (requests per second). */
  get rate() {
    return this.points.length ? this.points[this.points.length - 1].rate : 0;
  }

  draw() {
    const c = this.canvas;
    const dpr = window.devicePixelRatio || 1;
    const w = Math.max(1, Math.round(c.clientWidth * dpr));
    const hgt = Math.max(1, Math.round(c.clientHeight * dpr));
    if (c.width !== w || c.height !== hgt) {
      c.width = w;
      c.height = hgt;
    }
    const g = c.getContext("2d");
    g.clearRect(0, 0, w, hgt);
    const pad = { l: 44 * dpr, r: 40 * dpr, t: 10 * dpr, b: 22 * dpr };
    const pw = w - pad.l - pad.r;
    const ph = hgt - pad.t - pad.b;
    const pts = this.points;
    const style = getComputedStyle(document.documentElement);
    const color = (name) => style.getPropertyValue(name).trim() || "#333";
    g.font = `${11 * dpr}px system-ui, sans-serif`;
    g.fillStyle = "#57606a";
    g.strokeStyle = "#d0d7de";
    g.lineWidth = 1 * dpr;
    g.strokeRect(pad.l, pad.t, pw, ph);
    if (pts.length < 1) {
      g.fillText("waiting for the first figures…", pad.l + 8 * dpr, pad.t + ph / 2);
      return;
    }
    const tMax = Math.max(pts[pts.length - 1].t, 1);
    const rateMax = niceCeil(Math.max(...pts.map((p) => p.rate), 1));
    const concMax = niceCeil(Math.max(...pts.map((p) => Math.max(p.concurrency, p.inflight)), 1));
    const x = (t) => pad.l + (t / tMax) * pw;
    // Axes labels: rate on the left, concurrency on the right, time below.
    g.textAlign = "right";
    g.fillText(String(rateMax), pad.l - 4 * dpr, pad.t + 9 * dpr);
    g.fillText("0", pad.l - 4 * dpr, pad.t + ph);
    g.textAlign = "left";
    g.fillText(String(concMax), pad.l + pw + 4 * dpr, pad.t + 9 * dpr);
    g.fillText("0", pad.l + pw + 4 * dpr, pad.t + ph);
    g.textAlign = "center";
    g.fillText(`${Math.round(tMax)} s`, pad.l + pw, pad.t + ph + 16 * dpr);
    g.fillText("0 s", pad.l, pad.t + ph + 16 * dpr);
    const line = (key, max, stroke, dash) => {
      g.beginPath();
      g.setLineDash(dash.map((d) => d * dpr));
      g.strokeStyle = stroke;
      g.lineWidth = 2 * dpr;
      pts.forEach((p, i) => {
        const px = x(p.t);
        const py = pad.t + ph - (p[key] / max) * ph;
        if (i === 0) g.moveTo(px, py);
        else g.lineTo(px, py);
      });
      g.stroke();
      g.setLineDash([]);
    };
    line("rate", rateMax, color("--rate"), []);
    line("concurrency", concMax, color("--conc"), [6, 4]);
    line("inflight", concMax, color("--inflight"), [2, 3]);
  }

  dispose() {
    this.observer.disconnect();
  }
}

function niceCeil(v) {
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}
