import { ApiError, requestChallenge, verifyAnswer, type Challenge, type Trajectory, type VerifyResult } from './api.js';
import { h } from './dom.js';
import { detectLang, format, strings, type Lang, type Strings } from './i18n.js';
import { powProgress } from './pow-search.js';
import { solvePow, type PowRun } from './pow-runner.js';
import { SlidePuzzle } from './slide-puzzle.js';
import { applyStyles } from './styles.js';

/** Options of `hurdle.render(element, options)`; the same as `data-*` attributes on the element. */
export interface RenderOptions {
  /** The site's public key. */
  sitekey: string;
  /** 'light', 'dark' or 'auto' (follows `prefers-color-scheme`). @default 'auto' */
  theme?: 'light' | 'dark' | 'auto';
  /** 'en', 'zh-CN' or 'auto' (the browser's languages, then the page `lang`). @default 'auto' */
  lang?: string;
  /** Ask for this challenge type; by default the site's first allowed type. */
  type?: 'slide' | 'pow';
  /** 'invisible' runs a proof-of-work at once with only a slim progress bar. @default 'normal' */
  size?: 'normal' | 'invisible';
  /** Action name bound into the token (checked by siteverify when the site passes it). */
  action?: string;
  /** Customer data bound into the token and returned by siteverify. */
  cdata?: string;
  /** Name of the hidden form field that receives the token. @default 'hurdle-response' */
  responseFieldName?: string;
  /** Base URL of the Hurdle service. @default the origin that served hurdle.js */
  apiUrl?: string;
  /** Called with the pass token. */
  callback?: (token: string) => void;
  /** Called when the pass token expired unused. */
  expiredCallback?: () => void;
  /** Called with an error code when the widget cannot complete. */
  errorCallback?: (code: string) => void;
  /** `tabindex` of the widget's start button (a page's own tab order). @default 0 */
  tabindex?: number;
}

type State = 'idle' | 'loading' | 'puzzle' | 'verifying' | 'pow' | 'success' | 'expired' | 'error';

const MAX_BUSY_RETRIES = 3;
let nextId = 0;

/** One rendered widget. */
export class Widget {
  readonly id: string;
  readonly host: HTMLElement;
  readonly #opts: RenderOptions;
  readonly #apiUrl: string;
  readonly #workerUrl: string;
  readonly #lang: Lang;
  readonly #t: Strings;
  readonly #wrap: HTMLDivElement;
  readonly #root: HTMLDivElement;
  readonly #check: HTMLButtonElement;
  readonly #label: HTMLSpanElement;
  readonly #panel: HTMLDivElement;
  readonly #puzzle: SlidePuzzle;
  readonly #refresh: HTMLButtonElement;
  readonly #usePow: HTMLButtonElement;
  readonly #hint: HTMLParagraphElement;
  readonly #progress: HTMLDivElement;
  readonly #progressBar: HTMLDivElement;
  readonly #status: HTMLDivElement;
  readonly #field: HTMLInputElement;
  readonly #media: MediaQueryList | undefined;
  #state: State = 'idle';
  #challenge: Challenge | undefined;
  #typeOverride: 'slide' | 'pow' | undefined;
  #token = '';
  #timer: ReturnType<typeof setTimeout> | undefined;
  #pow: PowRun | undefined;
  #generation = 0;
  #busyRetries = 0;

  constructor(host: HTMLElement, opts: RenderOptions, defaults: { apiUrl: string; workerUrl: string }) {
    if (typeof opts.sitekey !== 'string' || opts.sitekey === '') throw new TypeError('hurdle: a sitekey is required');
    this.id = `hurdle-${++nextId}`;
    this.host = host;
    this.#opts = opts;
    this.#apiUrl = withSlash(opts.apiUrl ?? defaults.apiUrl);
    this.#workerUrl = opts.apiUrl === undefined ? defaults.workerUrl : new URL('widget/hurdle-pow-worker.js', this.#apiUrl).href;
    this.#lang = detectLang(opts.lang);
    this.#t = strings(this.#lang);
    const t = this.#t;
    const invisible = opts.size === 'invisible';

    this.#label = h('span', {}, t.verify);
    this.#check = h('button', { class: 'chk', type: 'button', part: 'button' }, h('span', { class: 'box', 'aria-hidden': 'true' }), this.#label);
    if (opts.tabindex !== undefined && Number.isInteger(opts.tabindex)) this.#check.tabIndex = opts.tabindex;
    const brand = h('span', { class: 'brand' }, t.brand);
    const hintId = `${this.id}-hint`;
    this.#puzzle = new SlidePuzzle(t, hintId, (x, trajectory, input) => void this.#submit({ x }, trajectory, input));
    this.#refresh = h('button', { class: 'link', type: 'button' }, t.refresh);
    this.#usePow = h('button', { class: 'link', type: 'button' }, t.usePow);
    this.#panel = h('div', { class: 'panel', hidden: true },
      h('p', { class: 'title', 'aria-hidden': 'true' }, t.slideTitle),
      this.#hint = h('p', { class: 'sr', id: hintId }, `${t.slideTitle}. ${t.keyboardHint}`),
      this.#puzzle.el,
      h('div', { class: 'tools' }, this.#refresh, this.#usePow));
    this.#progressBar = h('div');
    this.#progress = h('div', { class: 'prog', role: 'progressbar', 'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-valuenow': '0', hidden: true }, this.#progressBar);
    this.#status = h('div', { class: 'st', role: 'status', 'aria-live': 'polite' });
    this.#root = h('div', { class: `r${invisible ? ' compact' : ''}`, lang: this.#lang, part: 'container' },
      h('div', { class: 'bar', hidden: invisible }, this.#check, brand), this.#panel, this.#progress, this.#status);
    // The container is a child of the host, so the host page keeps full control of the host.
    this.#wrap = h('div', { class: 'hurdle-widget', 'data-hurdle-id': this.id });
    const shadow = this.#wrap.attachShadow({ mode: 'open' });
    applyStyles(shadow);
    shadow.append(this.#root);
    this.#field = h('input', { type: 'hidden', name: opts.responseFieldName ?? 'hurdle-response', value: '' });
    host.append(this.#wrap, this.#field);

    this.#media = opts.theme === 'light' || opts.theme === 'dark' || typeof matchMedia !== 'function'
      ? undefined : matchMedia('(prefers-color-scheme: dark)');
    this.#media?.addEventListener('change', this.#applyTheme);
    this.#applyTheme();

    this.#check.addEventListener('click', () => {
      if (this.#state === 'idle' || this.#state === 'error' || this.#state === 'expired') this.execute();
    });
    this.#refresh.addEventListener('click', () => this.execute());
    this.#usePow.addEventListener('click', () => { this.#typeOverride = 'pow'; this.execute(); });
    if (invisible || opts.type === 'pow') this.execute();
  }

  /** The current pass token, or '' when there is none. */
  get response(): string {
    return this.#token;
  }

  get state(): State {
    return this.#state;
  }

  /** Starts (or restarts) verification: fetches a new challenge. */
  execute(notice = ''): void {
    const generation = this.#begin();
    this.#setState('loading', this.#t.loading);
    void this.#load(generation, notice);
  }

  /** Clears the token and returns to the start. */
  reset(): void {
    this.#begin();
    this.#typeOverride = undefined;
    this.#setState('idle', '');
    if (this.#opts.size === 'invisible' || this.#opts.type === 'pow') this.execute();
  }

  /** Removes the widget from the page. */
  remove(): void {
    this.#begin();
    this.#puzzle.destroy();
    this.#media?.removeEventListener('change', this.#applyTheme);
    this.#wrap.remove();
    this.#field.remove();
  }

  readonly #applyTheme = (): void => {
    const dark = this.#opts.theme === 'dark' || (this.#opts.theme !== 'light' && this.#media?.matches === true);
    this.#root.classList.toggle('dark', dark);
  };

  /** Cancels whatever is in flight; answers from older generations are ignored. */
  #begin(): number {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#pow?.cancel();
    this.#pow = undefined;
    this.#challenge = undefined;
    this.#setToken('');
    return ++this.#generation;
  }

  async #load(generation: number, notice: string): Promise<void> {
    const type = this.#typeOverride ?? (this.#opts.size === 'invisible' ? 'pow' : this.#opts.type);
    let challenge: Challenge;
    try {
      challenge = await requestChallenge(this.#apiUrl, {
        sitekey: this.#opts.sitekey,
        ...(type === undefined ? {} : { type }),
        ...(this.#opts.action === undefined ? {} : { action: this.#opts.action }),
        ...(this.#opts.cdata === undefined ? {} : { cdata: this.#opts.cdata }),
      });
    } catch (err) {
      if (generation === this.#generation) this.#failed(err, () => this.execute());
      return;
    }
    if (generation !== this.#generation) return;
    this.#busyRetries = 0;
    this.#challenge = challenge;
    this.#timer = setTimeout(() => this.#challengeExpired(generation), ttlMs(challenge.expiresAt, 120_000));
    if (challenge.type === 'pow' && challenge.pow !== undefined) {
      this.#runPow(generation, challenge.pow.challenge, challenge.pow.difficulty);
    } else if (challenge.slide !== undefined) {
      this.#panel.hidden = false;
      // The puzzle-free path only where the site has one.
      this.#usePow.hidden = this.#typeOverride === 'pow' || challenge.slide.powPath === false;
      this.#puzzle.show(challenge.slide);
      this.#hint.textContent = `${this.#t.slideTitle}. ${this.#puzzle.keyboard ? this.#t.keyboardHint : this.#t.keyboardOff}`;
      this.#setState('puzzle', notice, notice === '' ? '' : 'bad');
      this.#puzzle.handle.focus({ preventScroll: true });
    } else {
      this.#setState('error', this.#t.error);
      this.#emitError('bad_challenge');
    }
  }

  #runPow(generation: number, challenge: string, difficulty: number): void {
    this.#setState('pow', format(this.#t.powWorking, { p: 0 }));
    this.#progress.hidden = false;
    this.#setProgress(0);
    const run = solvePow(challenge, difficulty, this.#workerUrl, (attempts) => {
      if (generation !== this.#generation) return;
      const p = Math.min(99, Math.floor(powProgress(attempts, difficulty) * 100));
      this.#setProgress(p);
      this.#status.textContent = format(this.#t.powWorking, { p });
    });
    this.#pow = run;
    run.promise.then((nonce) => {
      if (generation !== this.#generation) return;
      this.#pow = undefined;
      this.#setProgress(100);
      void this.#submit({ nonce });
    }, () => { /* cancelled */ });
  }

  #setProgress(p: number): void {
    this.#progressBar.style.width = `${p}%`;
    this.#progress.setAttribute('aria-valuenow', String(p));
  }

  async #submit(answer: { x: number } | { nonce: string }, trajectory?: Trajectory, input?: 'pointer' | 'keyboard'): Promise<void> {
    const challenge = this.#challenge;
    if (challenge === undefined) return;
    const generation = this.#generation;
    this.#setState(this.#state === 'pow' ? 'pow' : 'verifying', this.#t.verifying);
    let result: VerifyResult;
    try {
      // A keyboard answer carries a small proof of work over the challenge id (the service
      // asks for it so that claiming keys is no cheaper for a script than faking a drag).
      // An escalated puzzle (answerPow) wants one from every answer; one proof at the larger
      // difficulty settles both.
      const need = Math.max(input === 'keyboard' ? challenge.slide?.keyboardPow?.difficulty ?? 0 : 0, challenge.slide?.answerPow?.difficulty ?? 0);
      const keyboardProof = need > 0 ? await solvePow(challenge.id, need, this.#workerUrl, () => {}).promise : undefined;
      if (generation !== this.#generation) return;
      result = await verifyAnswer(this.#apiUrl, {
        id: challenge.id,
        answer,
        ...(trajectory === undefined ? {} : { trajectory }),
        // Only keyboard solves say so: pointer rules are the service's default.
        ...(input === 'keyboard' ? { input } : {}),
        ...(keyboardProof === undefined ? {} : { keyboardProof }),
      });
    } catch (err) {
      if (generation === this.#generation) this.#failed(err, () => void this.#submit(answer, trajectory, input));
      return;
    }
    if (generation !== this.#generation) return;
    if (result.success) {
      this.#succeeded(result.token, result.expiresAt);
    } else if (result.retry && challenge.type === 'slide') {
      this.#puzzle.reset();
      this.#setState('puzzle', this.#t.retry, 'bad');
      // A keyboard user whose answer was refused is offered the puzzle-free path next.
      if (input === 'keyboard' && !this.#usePow.hidden) this.#usePow.focus({ preventScroll: true });
      else this.#puzzle.handle.focus({ preventScroll: true });
    } else if (result.code === 'expired') {
      this.#challengeExpired(generation);
    } else {
      // Out of attempts (or a failed proof of work): a fresh challenge.
      this.execute(this.#t.newPuzzle);
    }
  }

  #succeeded(token: string, expiresAt: number): void {
    const generation = this.#begin();
    this.#setToken(token);
    this.#setState('success', this.#t.success, 'good');
    this.#timer = setTimeout(() => {
      if (generation !== this.#generation) return;
      this.#begin();
      this.#setState('expired', this.#t.tokenExpired, 'bad');
      this.#opts.expiredCallback?.();
      this.#emit('hurdle:expired', {});
      if (this.#opts.size === 'invisible') this.execute();
    }, ttlMs(expiresAt, 300_000));
    this.#opts.callback?.(token);
    this.#emit('hurdle:success', { token });
  }

  #challengeExpired(generation: number): void {
    if (generation !== this.#generation || this.#state === 'success') return;
    this.#pow?.cancel();
    this.#pow = undefined;
    this.#puzzle.setEnabled(false);
    if (this.#opts.size === 'invisible' || this.#state === 'pow') {
      this.execute();
      return;
    }
    this.#setState('expired', this.#t.expired, 'bad');
    this.#panel.hidden = false;
    this.#refresh.focus({ preventScroll: true });
  }

  #failed(err: unknown, again: () => void): void {
    const api = err instanceof ApiError ? err : new ApiError(0, 'client_error', undefined);
    if (api.retryAfterMs !== undefined && this.#busyRetries < MAX_BUSY_RETRIES) {
      this.#busyRetries++;
      this.#setState('loading', this.#t.busy);
      const generation = this.#generation;
      this.#timer = setTimeout(() => { if (generation === this.#generation) again(); }, Math.min(api.retryAfterMs, 10_000));
      return;
    }
    this.#busyRetries = 0;
    const client = api.status >= 400 && api.status < 500;
    const message = client && api.code === 'site_disabled' ? this.#t.siteDisabled
      : client && /sitekey|^invalid_site$/i.test(api.code) ? this.#t.badSitekey
        : this.#t.error;
    this.#setState('error', message, 'bad');
    this.#label.textContent = this.#t.tryAgain;
    this.#emitError(api.code);
  }

  #emitError(code: string): void {
    this.#opts.errorCallback?.(code);
    this.#emit('hurdle:error', { code });
  }

  #emit(name: string, detail: Record<string, unknown>): void {
    this.host.dispatchEvent(new CustomEvent(name, { bubbles: true, composed: true, detail: { id: this.id, ...detail } }));
  }

  #setToken(token: string): void {
    this.#token = token;
    this.#field.value = token;
  }

  #setState(state: State, message: string, tone: '' | 'bad' | 'good' = ''): void {
    this.#state = state;
    this.#root.dataset['state'] = state;
    this.host.dataset['hurdleState'] = state;
    this.#status.textContent = message;
    // On success the check mark and label say it; the live region still announces it.
    const compact = this.#opts.size === 'invisible';
    this.#status.className = state === 'success' && !compact ? 'st sr' : tone === '' ? 'st' : `st ${tone}`;
    if (state === 'success' && compact) this.#status.textContent = `\u2713 ${message}`;
    const busy = state === 'loading' || state === 'verifying' || state === 'pow';
    this.#check.classList.toggle('busy', busy);
    this.#check.classList.toggle('ok', state === 'success');
    this.#check.disabled = state !== 'idle' && state !== 'error' && state !== 'expired';
    this.#check.setAttribute('aria-label', state === 'success' ? this.#t.success : state === 'error' ? this.#t.tryAgain : this.#t.verifyLabel);
    this.#label.textContent = state === 'success' ? this.#t.success : state === 'error' ? this.#t.tryAgain : this.#t.verify;
    if (state !== 'puzzle' && state !== 'verifying' && state !== 'expired') this.#panel.hidden = true;
    if (state !== 'pow') this.#progress.hidden = true;
  }
}

function withSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}

/** Time until an epoch-ms deadline, tolerating a skewed visitor clock. */
function ttlMs(expiresAt: number, fallbackMs: number): number {
  const ms = expiresAt - Date.now();
  return Number.isFinite(ms) && ms > 0 && ms <= 24 * 3600_000 ? ms : fallbackMs;
}
