/**
 * The browser probe: proof that a real browser ran the widget for this challenge. Every issued
 * challenge carries a freshly drawn probe (a random selection and order of the checks in
 * probe-checks.ts, a seed for their inputs, a nonce), sealed with the engine's keys so the
 * server re-derives it at verify without keeping any state. The widget runs it and returns the
 * outputs, facts about its environment and about the input events it saw, and a digest bound to
 * the challenge id and to the trace it sends:
 *
 * ```
 * mac = HMAC-SHA256(key = UTF-8(nonce), id \n outputs \n SHA-256(JSON(trajectory)) \n env \n input \n ms)
 * ```
 *
 * The verdict is a list of signals for the risk engine, never a refusal: a failed or odd probe
 * makes the visitor pay more (the escalation ladder, a lower score), because real people run
 * browsers that block canvas reads, spoof their user agent, or lack an API.
 *
 * What this does not claim: everything the server can compute, a script that has read this file
 * can compute too (`answerProbe` below is that script's best effort). The probe stops plain
 * HTTP clients that do not implement it, binds the trace to the events a browser saw, and makes
 * a default automated browser stand out; a spoofing attacker still pays for a real browser
 * engine per token. docs/browser-probe.md says what each signal costs a person.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { PROBE_CHECKS, expectedProbeOutput } from './probe-checks.js';
import type { ProbeCheck } from './probe-checks.js';
import type { Keyring } from './signed-envelope.js';

/** The probe as a challenge carries it (`PublicChallenge.probe`). */
export interface PublicProbe {
  /** The sealed probe, sent back unchanged in the result. */
  readonly token: string;
  /** base64url, 16 random bytes: the key of the result's digest. */
  readonly nonce: string;
  /** u32 seed of the checks' inputs. */
  readonly seed: number;
  /** The checks to run, in this order. */
  readonly checks: readonly ProbeCheck[];
}

/** Environment facts the widget reports, in the order the digest covers them. */
export const PROBE_ENV_KEYS = Object.freeze([
  'wd', 'hl', 'br', 'pl', 'mt', 'ow', 'oh', 'iw', 'ih', 'sw', 'sh', 'aw', 'ah', 'np', 'pq', 'sc', 'cr', 'mb',
] as const);
/** Input facts the widget reports about the slider's events, in digest order. */
export const PROBE_INPUT_KEYS = Object.freeze(['n', 't', 'k', 'kt', 'pt', 'pr', 'pw', 'ph', 'co', 'cc'] as const);

/**
 * The probe's result as the widget sends it in `/v1/verify` (`probe`).
 *
 * `env`: `wd` navigator.webdriver, `hl` a HeadlessChrome user agent or brand, `br` brands in
 * navigator.userAgentData (-1 without it), `pl` / `mt` plugins / mimeTypes length, `ow` `oh`
 * outer, `iw` `ih` inner, `sw` `sh` screen, `aw` `ah` available screen size (CSS px),
 * `np` Notification.permission, `pq` the permissions API's notifications state, `sc`
 * isSecureContext, `cr` a Chromium-engine user agent, `mb` a mobile user agent.
 *
 * `input`: `n` / `t` pointer events on the slider and how many were trusted, `k` / `kt` key
 * presses and trusted ones, `pt` pointerType, `pr` pressure while pressed, `pw` / `ph` contact
 * size, `co` getCoalescedEvents available (1/0), `cc` most coalesced events in one move.
 */
export interface ProbeResult {
  readonly token: string;
  readonly out: readonly string[];
  readonly env: Readonly<Record<string, string | number | boolean>>;
  readonly input: Readonly<Record<string, string | number | boolean>>;
  /** Milliseconds the probe took in the browser. */
  readonly ms: number;
  /** Hex HMAC-SHA256 (see the module comment). */
  readonly mac: string;
}

/**
 * Stable names of what a probe verdict found (metrics label `signal`, risk reasons, the per-site
 * switches in the risk settings' `checks`).
 */
export const PROBE_SIGNALS = Object.freeze([
  'probe_missing', 'probe_invalid', 'probe_mismatch', 'trace_unbacked', 'untrusted_events',
  'webdriver', 'headless_ua', 'no_window_chrome', 'screen_odd', 'plugins_missing',
  'notification_odd', 'brands_missing', 'pointer_odd', 'coalesced_missing', 'probe_slow',
] as const);
export type ProbeSignal = (typeof PROBE_SIGNALS)[number];

/** A probe slower than this in the browser is `probe_slow` (a real one takes a few ms). */
export const PROBE_SLOW_MS = 1500;

const CODE: Record<ProbeCheck, string> = { layout: 'l', canvas: 'c', math: 'm', intl: 'i', digest: 'd' };
const BY_CODE = new Map(Object.entries(CODE).map(([k, v]) => [v, k as ProbeCheck]));
const DECIMAL = /^(0|[1-9][0-9]{0,15})$/;

/** A short digest of the challenge id sealed into its probe (PoW ids are long). */
const idDigest = (id: string): string => createHash('sha256').update(id, 'utf8').digest('base64url').slice(0, 22);

/** Draw and seal a probe for the challenge `id`. `randomBytes` is the engine's source. */
export function issueProbe(keys: Keyring, id: string, randomBytes: (size: number) => Uint8Array, issuedAt: number): PublicProbe {
  const bytes = Buffer.from(randomBytes(24));
  const nonce = bytes.subarray(0, 16).toString('base64url');
  const seed = bytes.readUInt32LE(16);
  // A random subset of 3-5 checks in a random order (Fisher-Yates over the remaining bytes).
  const order = [...PROBE_CHECKS];
  for (let i = order.length - 1; i > 0; i--) {
    const j = (bytes[20 + (i % 4)] as number) % (i + 1);
    [order[i], order[j]] = [order[j] as ProbeCheck, order[i] as ProbeCheck];
  }
  const checks = order.slice(0, 3 + ((bytes[23] as number) % 3));
  const token = keys.seal([idDigest(id), nonce, String(seed), checks.map((c) => CODE[c]).join(''), String(Math.floor(issuedAt))]);
  return { token, nonce, seed, checks };
}

/** The sealed probe, or undefined when malformed, forged or sealed for another challenge. */
export function openProbe(keys: Keyring, token: string, id: string): { nonce: string; seed: number; checks: ProbeCheck[] } | undefined {
  if (token.length > 600) return undefined;
  const f = keys.open(token);
  if (f === undefined || f.length !== 5) return undefined;
  const [digest, nonce, seed, codes] = f as [string, string, string, string, string];
  if (digest !== idDigest(id) || !DECIMAL.test(seed)) return undefined;
  const checks: ProbeCheck[] = [];
  for (const c of codes) {
    const check = BY_CODE.get(c);
    if (check === undefined) return undefined;
    checks.push(check);
  }
  return { nonce, seed: Number(seed), checks };
}

/** SHA-256 hex of the trace as JSON: the widget digests the array it sends. */
export function traceDigest(trajectory: unknown): string {
  return createHash('sha256').update(JSON.stringify(trajectory ?? []), 'utf8').digest('hex');
}

const line = (keys: readonly string[], o: Readonly<Record<string, unknown>>): string => keys.map((k) => String(o[k] ?? '')).join(',');

/** The message the result's HMAC covers. */
export function probeMessage(id: string, out: readonly string[], trace: string, env: Readonly<Record<string, unknown>>, input: Readonly<Record<string, unknown>>, ms: number): string {
  return [id, out.join('\u001f'), trace, line(PROBE_ENV_KEYS, env), line(PROBE_INPUT_KEYS, input), String(ms)].join('\n');
}

export function probeMac(nonce: string, message: string): string {
  return createHmac('sha256', Buffer.from(nonce, 'utf8')).update(message, 'utf8').digest('hex');
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (o: Record<string, unknown>, k: string): number => (typeof o[k] === 'number' && Number.isFinite(o[k]) ? o[k] : -1);

/** What the answer says about its input. */
export interface ProbeAnswerContext {
  readonly id: string;
  readonly trajectory: unknown;
  readonly input: 'pointer' | 'keyboard';
  readonly type: 'slide' | 'pow';
  /** The request's User-Agent header, when known. */
  readonly userAgent?: string | undefined;
}

/**
 * The signals of one answer's probe result (untrusted JSON; never throws). An empty list is a
 * probe that ran, verified and saw nothing odd.
 */
export function probeSignals(keys: Keyring, result: unknown, ctx: ProbeAnswerContext): ProbeSignal[] {
  const signals = new Set<ProbeSignal>();
  if (ctx.userAgent !== undefined && ctx.userAgent.includes('HeadlessChrome')) signals.add('headless_ua');
  if (result === undefined || result === null) {
    signals.add('probe_missing');
    return [...signals];
  }
  if (!isRecord(result) || typeof result['token'] !== 'string' || typeof result['mac'] !== 'string' || !Array.isArray(result['out'])
    || !isRecord(result['env']) || !isRecord(result['input']) || typeof result['ms'] !== 'number') {
    signals.add('probe_invalid');
    return [...signals];
  }
  const spec = openProbe(keys, result['token'], ctx.id);
  const out = result['out'] as unknown[];
  const env = result['env'];
  const input = result['input'];
  const ms = result['ms'];
  if (spec === undefined || out.length !== spec.checks.length || !out.every((o) => typeof o === 'string')) {
    signals.add('probe_invalid');
    return [...signals];
  }
  const expected = probeMac(spec.nonce, probeMessage(ctx.id, out as string[], traceDigest(ctx.trajectory), env, input, ms));
  const mac = result['mac'];
  if (mac.length !== expected.length || !timingSafeEqual(Buffer.from(mac, 'utf8'), Buffer.from(expected, 'utf8'))) {
    signals.add('probe_invalid');
    return [...signals];
  }
  if (spec.checks.some((check, i) => out[i] !== expectedProbeOutput(check, spec.seed, spec.nonce))) signals.add('probe_mismatch');
  if (ms > PROBE_SLOW_MS) signals.add('probe_slow');

  if (env['wd'] === true) signals.add('webdriver');
  if (env['hl'] === true) signals.add('headless_ua');
  const [ow, oh, iw, ih, sw, sh, aw, ah] = ['ow', 'oh', 'iw', 'ih', 'sw', 'sh', 'aw', 'ah'].map((k) => num(env, k)) as number[] as [number, number, number, number, number, number, number, number];
  const mobile = env['mb'] === true;
  // A desktop window has a frame: its outer size is at least the viewport and taller by the
  // toolbar. A headless one reports 0, or exactly the viewport.
  if (ow <= 0 || oh <= 0 || (!mobile && ow === iw && oh === ih)) signals.add('no_window_chrome');
  if (sw <= 0 || sh <= 0 || aw > sw || ah > sh || (!mobile && (ow > sw + 16 || iw > sw + 16))) signals.add('screen_odd');
  const pl = num(env, 'pl');
  const mt = num(env, 'mt');
  // Desktop Chromium and Firefox list the built-in PDF viewer; plugins and mimeTypes come together.
  if (!mobile && (pl === 0 || (pl > 0) !== (mt > 0))) signals.add('plugins_missing');
  // Old headless Chromium: the permission reads 'denied' while the permissions API says 'prompt'.
  if (env['np'] === 'denied' && env['pq'] === 'prompt') signals.add('notification_odd');
  // User-Agent Client Hints exist in Chromium-engine browsers in a secure context.
  if (env['cr'] === true && env['sc'] === true && num(env, 'br') <= 0) signals.add('brands_missing');

  if (ctx.type === 'slide') {
    const samples = Array.isArray(ctx.trajectory) ? ctx.trajectory.length : 0;
    const n = num(input, 'n');
    const k = num(input, 'k');
    if (ctx.input === 'keyboard') {
      // One sample per key press after the start marker.
      if (k <= 0 || samples > k + 1) signals.add('trace_unbacked');
      if (num(input, 'kt') < k) signals.add('untrusted_events');
    } else {
      // At most one sample per pointer event (samples closer than 8 ms are merged, never added).
      if (n <= 0 || samples > n) signals.add('trace_unbacked');
      if (num(input, 't') < n) signals.add('untrusted_events');
      const pt = input['pt'];
      if ((pt !== 'mouse' && pt !== 'pen' && pt !== 'touch') || num(input, 'pw') <= 0 || num(input, 'ph') <= 0 || num(input, 'pr') <= 0) signals.add('pointer_odd');
      if (input['co'] !== 1) signals.add('coalesced_missing');
    }
  }
  return [...signals];
}

/**
 * The reference answer, computed in Node: what a script that has read the source sends (the
 * attack bench's HTTP bot) and what the tests use as a browser's answer. `env` and `input` are
 * the facts it claims.
 */
export function answerProbe(probe: PublicProbe, id: string, trajectory: unknown, env: Readonly<Record<string, string | number | boolean>>, input: Readonly<Record<string, string | number | boolean>>, ms: number): ProbeResult {
  const out = probe.checks.map((c) => expectedProbeOutput(c, probe.seed, probe.nonce));
  return { token: probe.token, out, env, input, ms, mac: probeMac(probe.nonce, probeMessage(id, out, traceDigest(trajectory), env, input, ms)) };
}
