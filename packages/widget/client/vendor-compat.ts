// Entry of hurdle-compat.js: the whole widget, plus the client API of Turnstile, hCaptcha or
// reCAPTCHA, so a page written for one of them works after changing only its script URL.
// The vendor is chosen by the script's URL (/widget/turnstile/v0/api.js,
// /widget/hcaptcha/1/api.js, /widget/recaptcha/api.js) or its `compat=` query parameter;
// only that vendor's global is defined, and never over a real vendor script already there.
import { api, find, globalFunction, render } from './hurdle.js';
import type { RenderOptions } from './widget.js';

type Vendor = 'turnstile' | 'hcaptcha' | 'recaptcha';
type Callback = ((...args: never[]) => void) | string | undefined;

/** The options the vendors' `render()` take, in their own (kebab-case) names. */
interface VendorParams {
  sitekey?: string;
  theme?: string;
  size?: string;
  tabindex?: number | string;
  action?: string;
  cData?: string;
  cdata?: string;
  hl?: string;
  language?: string;
  callback?: Callback;
  'expired-callback'?: Callback;
  'error-callback'?: Callback;
  'response-field-name'?: string;
  [other: string]: unknown;
}

interface VendorInfo {
  readonly className: string;
  /** Hidden fields that receive the token (hCaptcha also fills reCAPTCHA's, as it does). */
  readonly fields: readonly string[];
}

const VENDORS: Record<Vendor, VendorInfo> = {
  turnstile: { className: 'cf-turnstile', fields: ['cf-turnstile-response'] },
  hcaptcha: { className: 'h-captcha', fields: ['h-captcha-response', 'g-recaptcha-response'] },
  recaptcha: { className: 'g-recaptcha', fields: ['g-recaptcha-response'] },
};
const GLOBAL_NAME: Record<Vendor, string> = { turnstile: 'turnstile', hcaptcha: 'hcaptcha', recaptcha: 'grecaptcha' };

const script = document.currentScript instanceof HTMLScriptElement ? document.currentScript : undefined;
const scriptUrl = new URL(script?.src ?? location.href, location.href);
const query = scriptUrl.searchParams;

function vendorOf(): Vendor | undefined {
  const asked = query.get('compat');
  if (asked === 'turnstile' || asked === 'hcaptcha' || asked === 'recaptcha') return asked;
  const path = scriptUrl.pathname;
  return path.includes('/turnstile/') ? 'turnstile' : path.includes('/hcaptcha/') ? 'hcaptcha' : path.includes('/recaptcha/') ? 'recaptcha' : undefined;
}

function callbackOf<A extends unknown[]>(value: unknown): ((...args: A) => void) | undefined {
  if (typeof value === 'function') return value as (...args: A) => void;
  return typeof value === 'string' ? globalFunction<A>(value) : undefined;
}

/** The vendor's params as Hurdle render options (what has no equivalent is dropped). */
function toOptions(vendor: Vendor, params: VendorParams): RenderOptions {
  const opts: RenderOptions = { sitekey: String(params.sitekey ?? '') };
  if (params.theme === 'light' || params.theme === 'dark' || params.theme === 'auto') opts.theme = params.theme;
  if (params.size === 'invisible' || params.size === 'compact' || params.size === 'flexible' || params.size === 'normal') opts.size = params.size;
  const lang = params.hl ?? params.language ?? query.get('hl') ?? undefined;
  if (typeof lang === 'string' && lang !== '') opts.lang = lang;
  const tabindex = Number(params.tabindex);
  if (params.tabindex !== undefined && Number.isInteger(tabindex)) opts.tabindex = tabindex;
  if (typeof params.action === 'string') opts.action = params.action;
  const cdata = params.cData ?? params.cdata;
  if (typeof cdata === 'string') opts.cdata = cdata;
  const field = params['response-field-name'];
  opts.responseFieldName = typeof field === 'string' && field !== '' ? field : VENDORS[vendor].fields[0] as string;
  const callback = callbackOf<[string]>(params.callback);
  if (callback !== undefined) opts.callback = callback;
  const expired = callbackOf<[]>(params['expired-callback']);
  if (expired !== undefined) opts.expiredCallback = expired;
  const error = callbackOf<[string]>(params['error-callback']);
  if (error !== undefined) opts.errorCallback = error;
  return opts;
}

/** A container's data-* attributes as vendor params (`data-expired-callback` → 'expired-callback'). */
function paramsFrom(el: HTMLElement): VendorParams {
  const params: VendorParams = {};
  for (const attr of Array.from(el.attributes)) {
    if (!attr.name.startsWith('data-')) continue;
    const name = attr.name.slice(5);
    params[name === 'cdata' ? 'cData' : name] = attr.value;
  }
  return params;
}

interface Entry {
  hurdleId: string;
  /** The element the page rendered into (a button, for a challenge bound to a button). */
  host: HTMLElement;
  /** The widget's own box after a bound button. */
  box?: HTMLElement | undefined;
  onClick?: (e: Event) => void;
  /** The page's callback of an invisible challenge, run when execute() (or the click) gets a token. */
  deferred?: ((token: string) => void) | undefined;
  extra: HTMLInputElement[];
  pending: { ok: (v: string) => void; fail: (e: Error) => void }[];
}

/** A submit control the vendors bind an invisible challenge to. */
function isButton(el: HTMLElement): boolean {
  return el instanceof HTMLButtonElement || (el instanceof HTMLInputElement && ['submit', 'button', 'image'].includes(el.type));
}

function install(vendor: Vendor): void {
  const info = VENDORS[vendor];
  const entries = new Map<string, Entry>();
  const byHost = new WeakMap<HTMLElement, string>();
  let nextNumericId = 0;

  const entryOf = (id?: unknown): Entry | undefined => {
    if (id === undefined || id === null) return entries.values().next().value;
    if (id instanceof HTMLElement) return entries.get(byHost.get(id) ?? '');
    const direct = entries.get(String(id));
    if (direct !== undefined || typeof id !== 'string') return direct;
    const el = document.querySelector<HTMLElement>(id);
    return el === null ? undefined : entries.get(byHost.get(el) ?? '');
  };

  const doRender = (container: HTMLElement | string, params: VendorParams = {}): string | number => {
    const host = typeof container === 'string' ? document.querySelector<HTMLElement>(container.startsWith('#') || container.startsWith('.') ? container : `#${container}`) : container;
    if (host === null) throw new TypeError(`${GLOBAL_NAME[vendor]}.render: no element matches ${String(container)}`);
    const merged = { ...paramsFrom(host), ...params };
    const known = byHost.get(host);
    if (known !== undefined) remove(known);
    const opts = toOptions(vendor, merged);
    // reCAPTCHA and hCaptcha bind an invisible challenge to a button (`<button class="g-recaptcha"
    // data-callback="onSubmit">`): the widget goes into a box after the button, inside the same
    // form. Hurdle's invisible proof of work starts at render, while these vendors call the
    // callback (which usually submits the form) only after execute() or the click: so the
    // callback is held until then.
    let widgetHost = host;
    if (isButton(host)) {
      widgetHost = document.createElement('div');
      host.insertAdjacentElement('afterend', widgetHost);
      opts.size = 'invisible';
    }
    const deferred = vendor !== 'turnstile' && opts.size === 'invisible' ? opts.callback : undefined;
    if (deferred !== undefined) delete opts.callback;
    const hurdleId = render(widgetHost, opts);
    // reCAPTCHA's ids are small integers; the others are opaque strings.
    const vendorId = vendor === 'recaptcha' ? String(nextNumericId++) : hurdleId;
    const extra = info.fields.filter((name) => name !== opts.responseFieldName).map((name) => {
      const input = document.createElement('input');
      input.type = 'hidden';
      input.name = name;
      widgetHost.append(input);
      return input;
    });
    const entry: Entry = { hurdleId, host, box: widgetHost === host ? undefined : widgetHost, deferred, extra, pending: [] };
    const settle = (token: string, err?: Error): void => {
      for (const input of extra) input.value = token;
      for (const p of entry.pending.splice(0)) if (err === undefined) p.ok(token); else p.fail(err);
    };
    widgetHost.addEventListener('hurdle:success', (e) => { if ((e as CustomEvent<{ id: string }>).detail.id === hurdleId) settle((e as CustomEvent<{ token: string }>).detail.token); });
    widgetHost.addEventListener('hurdle:expired', (e) => { if ((e as CustomEvent<{ id: string }>).detail.id === hurdleId) settle(''); });
    widgetHost.addEventListener('hurdle:error', (e) => {
      const detail = (e as CustomEvent<{ id: string; code: string }>).detail;
      if (detail.id === hurdleId) for (const p of entry.pending.splice(0)) p.fail(new Error(detail.code));
    });
    if (isButton(host)) {
      entry.onClick = (e: Event): void => {
        e.preventDefault();
        executePromise(entry).catch(() => { /* reported through error-callback */ });
      };
      host.addEventListener('click', entry.onClick);
    }
    entries.set(vendorId, entry);
    byHost.set(host, vendorId);
    return vendor === 'recaptcha' ? Number(vendorId) : vendorId;
  };

  const remove = (id?: unknown): void => {
    const entry = entryOf(id);
    if (entry === undefined) return;
    api.remove(entry.hurdleId);
    for (const input of entry.extra) input.remove();
    entry.box?.remove();
    if (entry.onClick !== undefined) entry.host.removeEventListener('click', entry.onClick);
    for (const [key, value] of entries) if (value === entry) entries.delete(key);
    byHost.delete(entry.host);
  };

  const reset = (id?: unknown): void => {
    const entry = entryOf(id);
    if (entry === undefined) return;
    api.reset(entry.hurdleId);
    for (const input of entry.extra) input.value = '';
  };

  const getResponse = (id?: unknown): string => {
    const entry = entryOf(id);
    return entry === undefined ? '' : api.getResponse(entry.hurdleId);
  };

  /** Starts verification; resolves with the token (hCaptcha's `execute({ async: true })`). */
  const executePromise = (entry: Entry): Promise<string> => {
    const current = api.getResponse(entry.hurdleId);
    let promise: Promise<string>;
    if (current !== '') {
      promise = Promise.resolve(current);
    } else {
      promise = new Promise<string>((ok, fail) => entry.pending.push({ ok, fail }));
      const state = find(entry.hurdleId)?.state;
      if (state !== 'loading' && state !== 'puzzle' && state !== 'verifying' && state !== 'pow') api.execute(entry.hurdleId);
    }
    const callback = entry.deferred;
    if (callback !== undefined) promise.then(callback, () => { /* reported through error-callback */ });
    return promise;
  };

  const scan = (): void => {
    for (const el of Array.from(document.querySelectorAll<HTMLElement>(`.${info.className}`))) {
      if (!byHost.has(el) && el.querySelector('.hurdle-widget') === null) doRender(el);
    }
  };

  const readyCallbacks: (() => void)[] = [];
  let ready = false;
  const onReady = (fn: () => void): void => { if (ready) fn(); else readyCallbacks.push(fn); };

  let surface: Record<string, unknown>;
  if (vendor === 'turnstile') {
    surface = {
      render: doRender,
      reset,
      remove,
      getResponse,
      isExpired: (id?: unknown) => {
        const entry = entryOf(id);
        return entry !== undefined && find(entry.hurdleId)?.state === 'expired';
      },
      execute: (id?: unknown, params?: VendorParams) => {
        let entry = entryOf(id);
        if (entry === undefined && id instanceof HTMLElement) entry = entryOf(doRender(id, params));
        if (entry !== undefined) void executePromise(entry).catch(() => { /* reported through error-callback */ });
      },
      ready: onReady,
      implicitRender: scan,
    };
  } else if (vendor === 'hcaptcha') {
    surface = {
      render: doRender,
      reset,
      remove,
      getResponse,
      getRespKey: (id?: unknown) => entryOf(id)?.hurdleId ?? '',
      execute: (id?: unknown, opts?: { async?: boolean }) => {
        const first = typeof id === 'object' && id !== null && !(id instanceof HTMLElement) ? undefined : id;
        const asyncMode = (typeof id === 'object' && id !== null && (id as { async?: boolean }).async === true) || opts?.async === true;
        const entry = entryOf(first);
        if (entry === undefined) return asyncMode ? Promise.reject(new Error('invalid-captcha-id')) : undefined;
        const promise = executePromise(entry).then((response) => ({ response, key: entry.hurdleId }));
        if (asyncMode) return promise;
        promise.catch(() => { /* reported through error-callback */ });
        return undefined;
      },
    };
  } else {
    const renderParam = query.get('render');
    surface = {
      render: doRender,
      reset,
      getResponse,
      ready: onReady,
      // v2 invisible: execute(id). v3: execute(sitekey, { action }) resolves with a token.
      execute: (idOrSitekey?: unknown, opts?: { action?: string }) => {
        const entry = entries.has(String(idOrSitekey)) || idOrSitekey === undefined ? entryOf(idOrSitekey) : undefined;
        if (entry !== undefined) return executePromise(entry);
        const sitekey = typeof idOrSitekey === 'string' ? idOrSitekey : renderParam ?? '';
        const host = document.createElement('div');
        host.hidden = true;
        document.body.append(host);
        const id = doRender(host, { sitekey, size: 'invisible', ...(opts?.action === undefined ? {} : { action: opts.action }) });
        const created = entryOf(id) as Entry;
        return executePromise(created).finally(() => remove(id));
      },
    };
  }

  // reCAPTCHA Enterprise pages call the same functions under `grecaptcha.enterprise`.
  if (vendor === 'recaptcha' && scriptUrl.pathname.endsWith('/enterprise.js')) surface['enterprise'] = { ...surface };

  const name = GLOBAL_NAME[vendor];
  const globals = window as unknown as Record<string, unknown>;
  if (globals[name] !== undefined) {
    // A real vendor script got there first: leave it alone (Hurdle's own API stays on window.hurdle).
    console.warn(`hurdle: window.${name} already exists; the ${vendor} compatibility API is not installed`);
    return;
  }
  globals[name] = surface;

  const start = (): void => {
    const explicit = query.get('render') === 'explicit' || (vendor === 'recaptcha' && query.get('render') !== null && query.get('render') !== 'onload');
    if (!explicit) scan();
    ready = true;
    for (const fn of readyCallbacks.splice(0)) fn();
    const onload = query.get('onload');
    if (onload !== null) globalFunction<[]>(onload)?.();
  };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
}

const vendor = vendorOf();
if (vendor !== undefined) install(vendor);
