// The browser probe, the widget's side (the service's is packages/challenge/src/browser-probe.ts
// and probe-checks.ts, which compute the same outputs in Node). It runs while the visitor looks
// at the puzzle, so it adds nothing to the wait after the drag but one HMAC.
import { sha256 } from './sha256.js';

/** The probe a challenge carries. */
export interface Probe {
  token: string;
  nonce: string;
  seed: number;
  checks: string[];
}

export type Facts = Record<string, string | number | boolean>;

/** What the checks and the environment gave, before it is bound to the answer. */
export interface ProbeRun {
  out: string[];
  env: Facts;
  ms: number;
}

export interface ProbeResult extends ProbeRun {
  token: string;
  input: Facts;
  mac: string;
}

// Digest order: the service reads the facts in exactly these orders.
const ENV_KEYS = ['wd', 'hl', 'br', 'pl', 'mt', 'ow', 'oh', 'iw', 'ih', 'sw', 'sh', 'aw', 'ah', 'np', 'pq', 'sc', 'cr', 'mb'];
const INPUT_KEYS = ['n', 't', 'k', 'kt', 'pt', 'pr', 'pw', 'ph', 'co', 'cc'];
const CHECKS = ['layout', 'canvas', 'math', 'intl', 'digest'];

/** mulberry32, as the service draws each check's inputs. */
function random(seed: number, check: string): () => number {
  let a = (seed ^ Math.imul(CHECKS.indexOf(check) + 1, 0x9e3779b9)) >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  };
}

const utf8 = (s: string): Uint8Array<ArrayBuffer> => new TextEncoder().encode(s);
const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

function digest(data: Uint8Array): Uint8Array {
  const buf = new Uint8Array(Math.ceil((data.length + 9) / 64) * 64);
  buf.set(data);
  const words = new Int32Array(8);
  sha256(buf, data.length, words);
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = words[i >> 2]! >>> (24 - 8 * (i & 3));
  return out;
}

function hmac(key: Uint8Array, message: Uint8Array): string {
  const k = new Uint8Array(64);
  k.set(key.length > 64 ? digest(key) : key);
  const pad = (x: number, tail: Uint8Array): Uint8Array => {
    const b = new Uint8Array(64 + tail.length);
    for (let i = 0; i < 64; i++) b[i] = k[i]! ^ x;
    b.set(tail, 64);
    return b;
  };
  return hex(digest(pad(0x5c, digest(pad(0x36, message)))));
}

/** Integer CSS px boxes in a closed shadow root (no page style reaches them), measured by layout. */
function layout(seed: number): string {
  const r = random(seed, 'layout');
  const w = 20 + (r() % 200), h = 10 + (r() % 100), p = r() % 20, b = r() % 8, m = r() % 30;
  const host = document.createElement('div');
  const set = (el: HTMLElement, css: Record<string, string>): void => {
    for (const [k, v] of Object.entries(css)) el.style.setProperty(k, v, 'important');
  };
  set(host, { position: 'fixed', left: '0', top: '0', visibility: 'hidden', 'pointer-events': 'none', display: 'block' });
  const box = document.createElement('div');
  const child = document.createElement('div');
  set(box, { display: 'block', position: 'absolute', 'box-sizing': 'content-box', margin: '0', width: `${w}px`, height: `${h}px`, padding: `${p}px`, border: `${b}px solid #000` });
  set(child, { display: 'block', 'box-sizing': 'content-box', margin: `0 0 0 ${m}px`, padding: '0', border: '0', width: '1px', height: '1px' });
  box.append(child);
  host.attachShadow({ mode: 'closed' }).append(box);
  document.documentElement.append(host);
  try {
    // offset sizes are layout sizes: a transform on the page does not change them.
    return `${box.offsetWidth}x${box.offsetHeight}+${child.offsetLeft}+${box.clientLeft}`;
  } finally {
    host.remove();
  }
}

function canvas(seed: number): string {
  const r = random(seed, 'canvas');
  const bg = [r() % 256, r() % 256, r() % 256], fg = [r() % 256, r() % 256, r() % 256];
  const x = r() % 4, y = r() % 4, w = 1 + (r() % 4), h = 1 + (r() % 4);
  const c = document.createElement('canvas');
  c.width = 8;
  c.height = 8;
  const ctx = c.getContext('2d', { willReadFrequently: true });
  if (ctx === null) return 'none';
  ctx.fillStyle = `rgb(${bg.join(',')})`;
  ctx.fillRect(0, 0, 8, 8);
  ctx.fillStyle = `rgb(${fg.join(',')})`;
  ctx.fillRect(x, y, w, h);
  const d = ctx.getImageData(0, 0, 8, 8).data;
  const px = (i: number): string => `${d[i]},${d[i + 1]},${d[i + 2]},${d[i + 3]}`;
  const want = `${fg.join(',')},255`;
  let count = 0;
  for (let i = 0; i < d.length; i += 4) if (px(i) === want) count++;
  return `${count}:${px((y * 8 + x) * 4)}:${px(63 * 4)}`;
}

function math(seed: number): string {
  const r = random(seed, 'math');
  const a = r(), b = 1 + (r() % 1000);
  return `${Math.imul(a, b) >>> 0}.${Math.clz32(a)}.${(a % 1000003).toString(36)}.${(a / 1024).toFixed(4)}.${Math.sqrt(b * b)}.${Math.round(a / b)}`;
}

function intl(seed: number): string {
  const n = random(seed, 'intl')();
  const de = new Intl.NumberFormat('de-DE', { minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(n / 100);
  const day = new Date(Date.UTC(1970 + (n % 100), n % 12, 1 + (n % 28)));
  return `${new Intl.NumberFormat('en-US').format(n)}|${de}|${day.toISOString().slice(0, 10)}|${day.getUTCDay()}`;
}

async function digestCheck(seed: number, nonce: string): Promise<string> {
  const r = random(seed, 'digest');
  const bytes = utf8(`${seed}:${nonce}:${String.fromCodePoint(0xe0 + (r() % 32), 0x20ac, 0x1f600 + (r() % 64))}`);
  // Web Crypto where the page is a secure context; the widget's own SHA-256 elsewhere.
  const subtle = typeof crypto === 'object' ? crypto.subtle : undefined;
  const d = subtle === undefined ? digest(bytes) : new Uint8Array(await subtle.digest('SHA-256', bytes));
  return hex(d).slice(0, 32);
}

async function environment(): Promise<Facts> {
  const n = navigator;
  const ua = n.userAgent;
  const uad = (n as Navigator & { userAgentData?: { brands?: { brand: string }[] } }).userAgentData;
  const brands = uad?.brands ?? [];
  let pq = '';
  try {
    pq = (await n.permissions?.query({ name: 'notifications' }))?.state ?? '';
  } catch { /* no permissions API for notifications */ }
  return {
    wd: n.webdriver === true,
    hl: /HeadlessChrome/.test(ua) || brands.some((b) => /Headless/i.test(b.brand)),
    br: uad === undefined ? -1 : brands.length,
    pl: n.plugins?.length ?? -1,
    mt: n.mimeTypes?.length ?? -1,
    ow: outerWidth, oh: outerHeight, iw: innerWidth, ih: innerHeight,
    sw: screen.width, sh: screen.height, aw: screen.availWidth, ah: screen.availHeight,
    np: typeof Notification === 'function' ? Notification.permission : '',
    pq,
    sc: isSecureContext,
    cr: / Chrome\//.test(ua) || uad !== undefined,
    mb: /Mobi|Android/.test(ua),
  };
}

/** Runs the probe's checks in its order, and reads the environment. A check that throws answers 'error'. */
export async function runProbe(probe: Probe): Promise<ProbeRun> {
  const started = performance.now();
  const out: string[] = [];
  for (const check of probe.checks) {
    try {
      out.push(check === 'layout' ? layout(probe.seed)
        : check === 'canvas' ? canvas(probe.seed)
          : check === 'math' ? math(probe.seed)
            : check === 'intl' ? intl(probe.seed)
              : check === 'digest' ? await digestCheck(probe.seed, probe.nonce) : 'unknown');
    } catch {
      out.push('error');
    }
  }
  const env = await environment();
  return { out, env, ms: Math.round(performance.now() - started) };
}

/** Binds a run to the challenge id, the trace sent and the input events seen. */
export function bindProbe(probe: Probe, run: ProbeRun, id: string, trajectory: unknown, input: Facts): ProbeResult {
  const line = (keys: string[], o: Facts): string => keys.map((k) => String(o[k] ?? '')).join(',');
  const message = [id, run.out.join('\u001f'), hex(digest(utf8(JSON.stringify(trajectory ?? [])))), line(ENV_KEYS, run.env), line(INPUT_KEYS, input), String(run.ms)].join('\n');
  return { token: probe.token, out: run.out, env: run.env, input, ms: run.ms, mac: hmac(utf8(probe.nonce), utf8(message)) };
}
