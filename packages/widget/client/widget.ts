import { ApiError, requestChallenge, verifyAnswer, type Challenge, type Trajectory, type VerifyResult } from './api.js';
import { bindProbe, runProbe, type ProbeRun } from './browser-probe.js';
import { h } from './dom.js';
import { detectLang, en, format, isRtl, loadStrings, pickStrings, type Lang, type StringKey, type Strings } from './i18n.js';
import { powProgress } from './pow-search.js';
import { solvePow, type PowRun } from './pow-runner.js';
import type { ScryptCost } from './scrypt-search.js';
import { SlidePuzzle } from './slide-puzzle.js';
import { applyStyles } from './styles.js';

/** Options of `hurdle.render(element, options)`; the same as `data-*` attributes on the element. */
export interface RenderOptions {
  /** The site's public key. */
  sitekey: string;
  /** 'light', 'dark' or 'auto' (follows `prefers-color-scheme`). @default 'auto' */
  theme?: 'light' | 'dark' | 'auto';
  /**
   * A language tag ('de', 'pt-BR', 'ar', … see `LANGS`) or 'auto' (the browser's languages,
   * then the page `lang`). Languages other than English load from `/widget/locales/`. @default 'auto'
   */
  lang?: string;
  /** The site's own wording of any of the widget's strings (over the language's). */
  strings?: Partial<Strings>;
  /** Ask for this challenge type; by default the site's first allowed type. */
  type?: 'slide' | 'pow';
  /**
   * 'normal' (320 px), 'compact' (240 px), 'flexible' (fills its container, 260 px at least),
   * or 'invisible': no box at all; a proof of work runs (see `execution`), and only a
   * problem is shown. Every size shrinks to its container; the puzzle scales with it. @default 'normal'
   */
  size?: 'normal' | 'compact' | 'flexible' | 'invisible';
  /**
   * When verification starts without a click: 'render' (at once), 'execute' (on
   * `hurdle.execute()`), or 'submit' (when the enclosing form is submitted: the submit waits
   * for the token, then goes on). @default 'render' for invisible and `type: 'pow'`, else on click
   */
  execution?: 'render' | 'execute' | 'submit';
  /**
   * The invisible widget's small "Protected by Hurdle" badge: 'none', 'inline' (where the
   * widget is), 'bottomright' or 'bottomleft' (fixed to the window's corner). @default 'none'
   */
  badge?: 'none' | 'inline' | 'bottomright' | 'bottomleft';
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
  #t: Strings;
  readonly #wrap: HTMLDivElement;
  readonly #root: HTMLDivElement;
  readonly #check: HTMLButtonElement;
  readonly #label: HTMLSpanElement;
  readonly #panel: HTMLDivElement;
  readonly #bar: HTMLDivElement;
  readonly #brand: HTMLSpanElement;
  readonly #title: HTMLParagraphElement;
  readonly #badge: HTMLSpanElement | undefined;
  readonly #invisible: boolean;
  readonly #form: HTMLFormElement | null;
  #message: { key: StringKey | ''; values: Record<string, number> } = { key: '', values: {} };
  #submitter: HTMLElement | null | undefined;
  #tone: '' | 'bad' | 'good' = '';
  #removed = false;
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
  /** The current challenge's browser probe, started when it is shown (undefined: it carries none). */
  #probe: Promise<ProbeRun | undefined> | undefined;
  #generation = 0;
  #busyRetries = 0;

  constructor(host: HTMLElement, opts: RenderOptions, defaults: { apiUrl: string; workerUrl: string; localesUrl: string }) {
    if (typeof opts.sitekey !== 'string' || opts.sitekey === '') throw new TypeError('hurdle: a sitekey is required');
    this.id = `hurdle-${++nextId}`;
    this.host = host;
    this.#opts = opts;
    this.#apiUrl = withSlash(opts.apiUrl ?? defaults.apiUrl);
    this.#workerUrl = opts.apiUrl === undefined ? defaults.workerUrl : new URL('widget/hurdle-pow-worker.js', this.#apiUrl).href;
    this.#lang = detectLang(opts.lang);
    const overrides = pickStrings(opts.strings);
    // English until the language's file arrives (then every text is set again).
    this.#t = { ...en, ...overrides };
    const t = this.#t;
    const invisible = opts.size === 'invisible';
    this.#invisible = invisible;
    const size = opts.size === 'invisible' || opts.size === 'compact' || opts.size === 'flexible' ? opts.size : 'normal';

    this.#label = h('span', {}, t.verify);
    this.#check = h('button', { class: 'chk', type: 'button', part: 'button' }, h('span', { class: 'box', 'aria-hidden': 'true' }), this.#label);
    if (opts.tabindex !== undefined && Number.isInteger(opts.tabindex)) this.#check.tabIndex = opts.tabindex;
    this.#brand = h('span', { class: 'brand' }, t.brand);
    const hintId = `${this.id}-hint`;
    this.#puzzle = new SlidePuzzle(t, hintId, (x, trajectory, input) => void this.#submit({ x }, trajectory, input));
    this.#refresh = h('button', { class: 'link', type: 'button' }, t.refresh);
    this.#usePow = h('button', { class: 'link', type: 'button' }, t.usePow);
    this.#panel = h('div', { class: 'panel', hidden: true },
      this.#title = h('p', { class: 'title', 'aria-hidden': 'true' }, t.slideTitle),
      this.#hint = h('p', { class: 'sr', id: hintId }, `${t.slideTitle}. ${t.keyboardHint}`),
      this.#puzzle.el,
      h('div', { class: 'tools' }, this.#refresh, this.#usePow));
    this.#progressBar = h('div');
    this.#progress = h('div', { class: 'prog', role: 'progressbar', 'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-valuenow': '0', hidden: true }, this.#progressBar);
    this.#status = h('div', { class: 'st', role: 'status', 'aria-live': 'polite' });
    const badge = invisible ? opts.badge ?? 'none' : 'none';
    this.#badge = badge === 'inline' || badge === 'bottomright' || badge === 'bottomleft'
      ? h('span', { class: badge === 'inline' ? 'badge' : `badge fixed${badge === 'bottomleft' ? ' left' : ''}` }, t.brand)
      : undefined;
    this.#bar = h('div', { class: 'bar', hidden: invisible }, this.#check, this.#brand);
    this.#root = h('div', { class: `r sz-${size}${invisible ? ' inv' : ''}`, role: 'group', lang: 'en', dir: 'ltr', part: 'container' },
      this.#bar, this.#panel, this.#progress, this.#status, ...(this.#badge === undefined ? [] : [this.#badge]));
    // The container is a child of the host, so the host page keeps full control of the host.
    this.#wrap = h('div', { class: 'hurdle-widget', 'data-hurdle-id': this.id, 'data-size': size });
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

    this.#form = opts.execution === 'submit' ? host.closest('form') : null;
    this.#form?.addEventListener('submit', this.#onSubmitForm);
    this.#setState('idle', '');
    if (this.#startsAtRender()) this.execute();

    if (this.#lang !== 'en') {
      const localesUrl = opts.apiUrl === undefined ? defaults.localesUrl : new URL('widget/locales/', this.#apiUrl).href;
      loadStrings(this.#lang, localesUrl).then((loaded) => {
        if (this.#removed) return;
        this.#t = { ...en, ...loaded, ...overrides };
        this.#applyStrings(this.#lang);
      }, () => { /* the language could not load: the widget stays in English */ });
    } else {
      this.#applyStrings('en');
    }
  }

  /** The slider's description: the task, and whether the arrow keys solve it (the site's choice). */
  #setHint(): void {
    const t = this.#t;
    this.#hint.textContent = `${t.slideTitle}. ${this.#puzzle.keyboard ? t.keyboardHint : t.keyboardOff}`;
  }

  /** Verification that starts without a click: at render, unless the site defers it. */
  #startsAtRender(): boolean {
    const execution = this.#opts.execution ?? (this.#invisible || this.#opts.type === 'pow' ? 'render' : undefined);
    return execution === 'render';
  }

  /**
   * `execution: 'submit'`: a submit without a token is held, verification runs, and the form
   * is submitted again (by the same button) once the token is in its field.
   */
  readonly #onSubmitForm = (event: SubmitEvent): void => {
    if (this.#token !== '') return;
    event.preventDefault();
    event.stopImmediatePropagation();
    this.#submitter = event.submitter;
    if (this.#state === 'idle' || this.#state === 'error' || this.#state === 'expired') this.execute();
  };

  /** Sets every text to the current strings, in language `lang` (the strings' language). */
  #applyStrings(lang: Lang): void {
    const t = this.#t;
    const dir = isRtl(lang) ? 'rtl' : 'ltr';
    this.#root.lang = lang;
    this.#root.dir = dir;
    this.#brand.textContent = t.brand;
    if (this.#badge !== undefined) this.#badge.textContent = t.brand;
    this.#title.textContent = t.slideTitle;
    this.#refresh.textContent = t.refresh;
    this.#usePow.textContent = t.usePow;
    // A progressbar needs a name of its own; its value is the percentage the status line shows.
    this.#progress.setAttribute('aria-label', t.powProgress);
    this.#setHint();
    this.#puzzle.setStrings(t, dir);
    this.#render();
  }

  /** The current pass token, or '' when there is none. */
  get response(): string {
    return this.#token;
  }

  get state(): State {
    return this.#state;
  }

  /** Starts (or restarts) verification: fetches a new challenge. */
  execute(notice: StringKey | '' = ''): void {
    const generation = this.#begin();
    this.#setState('loading', 'loading');
    void this.#load(generation, notice);
  }

  /** Clears the token and returns to the start. */
  reset(): void {
    this.#begin();
    this.#typeOverride = undefined;
    // A submit held for the token is dropped: the site started over.
    this.#submitter = undefined;
    this.#setState('idle', '');
    if (this.#startsAtRender()) this.execute();
  }

  /** Removes the widget from the page. */
  remove(): void {
    this.#begin();
    this.#puzzle.destroy();
    this.#media?.removeEventListener('change', this.#applyTheme);
    this.#form?.removeEventListener('submit', this.#onSubmitForm);
    this.#removed = true;
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

  async #load(generation: number, notice: StringKey | ''): Promise<void> {
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
    this.#present(generation, challenge, notice, notice === '' ? '' : 'bad');
  }

  /** Shows a challenge (the first, or the next round's puzzle) and arms its expiry. */
  #present(generation: number, challenge: Challenge, notice: StringKey | '', tone: '' | 'good' | 'bad', values: Record<string, number> = {}): void {
    clearTimeout(this.#timer);
    this.#challenge = challenge;
    // The probe runs while the visitor looks at the puzzle (or the proof of work runs); a probe
    // that fails to run sends nothing, which the service weighs as a missing probe.
    this.#probe = challenge.probe === undefined ? undefined : runProbe(challenge.probe).catch(() => undefined);
    this.#timer = setTimeout(() => this.#challengeExpired(generation), ttlMs(challenge.expiresAt, 120_000));
    if (challenge.type === 'pow' && challenge.pow !== undefined) {
      const pow = challenge.pow;
      this.#runPow(generation, pow.challenge, pow.difficulty, pow.algorithm === 'scrypt' ? pow : undefined);
    } else if (challenge.slide !== undefined) {
      this.#panel.hidden = false;
      // The puzzle-free path only where the site has one.
      this.#usePow.hidden = this.#typeOverride === 'pow' || challenge.slide.powPath === false;
      this.#puzzle.show(challenge.slide);
      this.#setHint();
      this.#setState('puzzle', notice, tone, values);
      this.#puzzle.handle.focus({ preventScroll: true });
    } else {
      this.#setState('error', 'error');
      this.#emitError('bad_challenge');
    }
  }

  #runPow(generation: number, challenge: string, difficulty: number, scrypt: ScryptCost | undefined): void {
    this.#setState('pow', 'powWorking', '', { p: 0 });
    this.#progress.hidden = false;
    this.#setProgress(0);
    const run = solvePow(challenge, difficulty, this.#workerUrl, (attempts) => {
      if (generation !== this.#generation) return;
      const p = Math.min(99, Math.floor(powProgress(attempts, difficulty) * 100));
      this.#setProgress(p);
      this.#message.values = { p };
      this.#renderStatus();
    }, scrypt);
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
    this.#setState(this.#state === 'pow' ? 'pow' : 'verifying', 'verifying');
    let result: VerifyResult;
    try {
      // A keyboard answer carries a small proof of work over the challenge id (the service
      // asks for it so that claiming keys is no cheaper for a script than faking a drag).
      // An escalated puzzle (answerPow) wants one from every answer; one proof at the larger
      // difficulty settles both.
      const need = Math.max(input === 'keyboard' ? challenge.slide?.keyboardPow?.difficulty ?? 0 : 0, challenge.slide?.answerPow?.difficulty ?? 0);
      const keyboardProof = need > 0 ? await solvePow(challenge.id, need, this.#workerUrl, () => {}).promise : undefined;
      const run = await this.#probe;
      if (generation !== this.#generation) return;
      const facts = challenge.type === 'slide' ? this.#puzzle.inputFacts : {};
      const probe = run === undefined || challenge.probe === undefined ? undefined : bindProbe(challenge.probe, run, challenge.id, trajectory, facts);
      result = await verifyAnswer(this.#apiUrl, {
        id: challenge.id,
        answer,
        ...(trajectory === undefined ? {} : { trajectory }),
        // Only keyboard solves say so: pointer rules are the service's default.
        ...(input === 'keyboard' ? { input } : {}),
        ...(keyboardProof === undefined ? {} : { keyboardProof }),
        ...(probe === undefined ? {} : { probe }),
      });
    } catch (err) {
      if (generation === this.#generation) this.#failed(err, () => void this.#submit(answer, trajectory, input));
      return;
    }
    if (generation !== this.#generation) return;
    if (result.success) {
      this.#succeeded(result.token, result.expiresAt);
    } else if (result.code === 'next_round' && result.next?.slide !== undefined) {
      // A right answer to a round before the last: the next puzzle, in the same panel.
      const slide = result.next.slide;
      this.#present(generation, result.next, 'nextRound', 'good', { n: slide.round ?? 2, m: slide.rounds ?? 2 });
    } else if (result.retry && challenge.type === 'slide') {
      this.#puzzle.reset();
      this.#setState('puzzle', 'retry', 'bad');
      // A keyboard user whose answer was refused is offered the puzzle-free path next.
      if (input === 'keyboard' && !this.#usePow.hidden) this.#usePow.focus({ preventScroll: true });
      else this.#puzzle.handle.focus({ preventScroll: true });
    } else if (result.code === 'expired') {
      this.#challengeExpired(generation);
    } else {
      // Out of attempts (or a failed proof of work): a fresh challenge.
      this.execute('newPuzzle');
    }
  }

  #succeeded(token: string, expiresAt: number): void {
    const generation = this.#begin();
    this.#setToken(token);
    this.#setState('success', 'success', 'good');
    this.#timer = setTimeout(() => {
      if (generation !== this.#generation) return;
      this.#begin();
      this.#setState('expired', 'tokenExpired', 'bad');
      this.#opts.expiredCallback?.();
      this.#emit('hurdle:expired', {});
      if (this.#startsAtRender()) this.execute();
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
    this.#setState('expired', 'expired', 'bad');
    this.#panel.hidden = false;
    this.#refresh.focus({ preventScroll: true });
  }

  #failed(err: unknown, again: () => void): void {
    const api = err instanceof ApiError ? err : new ApiError(0, 'client_error', undefined);
    if (api.retryAfterMs !== undefined && this.#busyRetries < MAX_BUSY_RETRIES) {
      this.#busyRetries++;
      this.#setState('loading', 'busy');
      const generation = this.#generation;
      this.#timer = setTimeout(() => { if (generation === this.#generation) again(); }, Math.min(api.retryAfterMs, 10_000));
      return;
    }
    this.#busyRetries = 0;
    const client = api.status >= 400 && api.status < 500;
    const message: StringKey = client && api.code === 'site_disabled' ? 'siteDisabled'
      : client && /sitekey|^invalid_site$/i.test(api.code) ? 'badSitekey'
        : 'error';
    this.#setState('error', message, 'bad');
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

  #setState(state: State, message: StringKey | '', tone: '' | 'bad' | 'good' = '', values: Record<string, number> = {}): void {
    this.#state = state;
    this.#message = { key: message, values };
    this.#tone = tone;
    this.#root.dataset['state'] = state;
    this.host.dataset['hurdleState'] = state;
    const busy = state === 'loading' || state === 'verifying' || state === 'pow';
    this.#check.classList.toggle('busy', busy);
    this.#check.classList.toggle('ok', state === 'success');
    this.#check.disabled = state !== 'idle' && state !== 'error' && state !== 'expired';
    // Invisible: nothing shows while all goes well; a problem is shown in a box, with the
    // button that starts again.
    const shown = !this.#invisible || state === 'error' || state === 'expired';
    this.#root.classList.toggle('inv', !shown);
    this.#bar.hidden = !shown;
    this.#badge?.classList.toggle('ok', state === 'success');
    if (state !== 'puzzle' && state !== 'verifying' && state !== 'expired') this.#panel.hidden = true;
    if (state !== 'pow') this.#progress.hidden = true;
    this.#render();
    if (state === 'success' && this.#submitter !== undefined && this.#form !== null) {
      const submitter = this.#submitter;
      this.#submitter = undefined;
      // The submit that was held: again, by the same button, now with the token in the form.
      this.#form.requestSubmit(submitter !== null && submitter.isConnected && this.#form.contains(submitter) ? submitter : undefined);
    }
  }

  /** The texts that follow the state (in the current strings). */
  #render(): void {
    const t = this.#t;
    const state = this.#state;
    // The button's name is its visible text (a spoken command matches what is seen); the
    // widget as a whole is the group named for what it does.
    this.#root.setAttribute('aria-label', t.verifyLabel);
    this.#label.textContent = state === 'success' ? t.success : state === 'error' ? t.tryAgain : t.verify;
    this.#renderStatus();
  }

  #renderStatus(): void {
    const { key, values } = this.#message;
    this.#status.textContent = key === '' ? '' : format(this.#t[key], values);
    // On success the check mark and label say it (the live region still announces it); an
    // invisible widget says only a problem out loud on screen.
    const quiet = (this.#state === 'success' && !this.#invisible) || (this.#invisible && this.#tone !== 'bad');
    this.#status.className = quiet ? 'st sr' : this.#tone === '' ? 'st' : `st ${this.#tone}`;
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
