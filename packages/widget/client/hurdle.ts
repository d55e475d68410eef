// Entry of hurdle.js: the `window.hurdle` API, auto-render of `.hurdle[data-sitekey]`
// elements, and the `<hurdle-captcha>` custom element.
import { Widget, type RenderOptions } from './widget.js';

interface HurdleApi {
  /** Renders a widget into an element (or a CSS selector); returns the widget id. */
  render(target: HTMLElement | string, options: RenderOptions): string;
  /** The pass token of a widget (the first one when no id is given), or ''. */
  getResponse(id?: string): string;
  /** Clears a widget's token and returns it to the start. */
  reset(id?: string): void;
  /** Starts verification programmatically (e.g. invisible mode on form submit). */
  execute(id?: string): void;
  /** Removes a widget. */
  remove(id?: string): void;
  /** Renders every `.hurdle[data-sitekey]` not rendered yet (done automatically on load). */
  scan(root?: ParentNode): void;
  readonly version: string;
}

const script = document.currentScript instanceof HTMLScriptElement ? document.currentScript : undefined;
const scriptUrl = new URL(script?.src ?? '/widget/hurdle.js', location.href);
// The vendor-compatible scripts live below /widget/ (/widget/turnstile/v0/api.js): the worker
// is always /widget/hurdle-pow-worker.js beside hurdle.js.
const widgetDir = scriptUrl.pathname.includes('/widget/') ? scriptUrl.pathname.slice(0, scriptUrl.pathname.lastIndexOf('/widget/') + 8) : undefined;
const defaults = {
  apiUrl: script?.dataset['api'] ?? new URL('/', scriptUrl).href,
  workerUrl: new URL(widgetDir === undefined ? 'hurdle-pow-worker.js' : `${widgetDir}hurdle-pow-worker.js`, scriptUrl).href,
  localesUrl: new URL(widgetDir === undefined ? 'locales/' : `${widgetDir}locales/`, scriptUrl).href,
};
const widgets = new Map<string, Widget>();
const byElement = new WeakMap<HTMLElement, Widget>();

/** A rendered widget by id (the first one when no id is given). */
export function find(id?: string): Widget | undefined {
  return id === undefined ? widgets.values().next().value : widgets.get(id);
}

/** A global function named by a data-* attribute, or undefined. */
export function globalFunction<A extends unknown[]>(name: string | null | undefined): ((...args: A) => void) | undefined {
  if (name == null || name === '') return undefined;
  const fn = (window as unknown as Record<string, unknown>)[name];
  return typeof fn === 'function' ? (...args: A) => (fn as (...a: A) => void)(...args) : undefined;
}

function oneOf<T extends string>(value: string | null | undefined, allowed: readonly T[]): T | undefined {
  return allowed.find((v) => v === value);
}

/** Reads render options from `data-*` attributes (div) or plain attributes (custom element). */
function optionsFrom(el: HTMLElement): RenderOptions {
  const get = (name: string): string | undefined => el.getAttribute(`data-${name}`) ?? el.getAttribute(name) ?? undefined;
  const opts: RenderOptions = { sitekey: get('sitekey') ?? '' };
  const theme = oneOf(get('theme'), ['light', 'dark', 'auto'] as const);
  if (theme !== undefined) opts.theme = theme;
  const lang = get('lang') ?? get('language');
  if (lang !== undefined) opts.lang = lang;
  const type = oneOf(get('type'), ['slide', 'pow'] as const);
  if (type !== undefined) opts.type = type;
  const size = oneOf(get('size'), ['normal', 'compact', 'flexible', 'invisible'] as const);
  if (size !== undefined) opts.size = size;
  const execution = oneOf(get('execution'), ['render', 'execute', 'submit'] as const);
  if (execution !== undefined) opts.execution = execution;
  const badge = oneOf(get('badge'), ['none', 'inline', 'bottomright', 'bottomleft'] as const);
  if (badge !== undefined) opts.badge = badge;
  const strings = get('strings');
  if (strings !== undefined) {
    try {
      opts.strings = JSON.parse(strings) as NonNullable<RenderOptions['strings']>;
    } catch {
      // The widget still works, in the language's own wording; the site owner is told.
      console.warn('hurdle: data-strings is not valid JSON (HURDLE_BAD_STRINGS); it was ignored');
    }
  }
  const action = get('action');
  if (action !== undefined) opts.action = action;
  const cdata = get('cdata');
  if (cdata !== undefined) opts.cdata = cdata;
  const field = get('response-field-name');
  if (field !== undefined) opts.responseFieldName = field;
  const api = get('api');
  if (api !== undefined) opts.apiUrl = api;
  const callback = globalFunction<[string]>(get('callback'));
  if (callback !== undefined) opts.callback = callback;
  const expired = globalFunction<[]>(get('expired-callback'));
  if (expired !== undefined) opts.expiredCallback = expired;
  const error = globalFunction<[string]>(get('error-callback'));
  if (error !== undefined) opts.errorCallback = error;
  return opts;
}

/** Renders a widget into an element or the first match of a selector; returns its id. */
export function render(target: HTMLElement | string, options: RenderOptions): string {
  const el = typeof target === 'string' ? document.querySelector<HTMLElement>(target) : target;
  if (el === null) throw new TypeError(`hurdle.render: no element matches ${String(target)}`);
  byElement.get(el)?.remove();
  const widget = new Widget(el, options, defaults);
  widgets.set(widget.id, widget);
  byElement.set(el, widget);
  return widget.id;
}

function scan(root: ParentNode = document): void {
  for (const el of Array.from(root.querySelectorAll<HTMLElement>('.hurdle[data-sitekey]'))) {
    if (!byElement.has(el)) render(el, optionsFrom(el));
  }
}

/** `window.hurdle`. */
export const api: HurdleApi = {
  render,
  getResponse: (id) => find(id)?.response ?? '',
  reset: (id) => find(id)?.reset(),
  execute: (id) => find(id)?.execute(),
  remove: (id) => {
    const widget = find(id);
    if (widget === undefined) return;
    widget.remove();
    widgets.delete(widget.id);
    byElement.delete(widget.host);
  },
  scan,
  version: '0.1.0',
};

/** `<hurdle-captcha sitekey="…" theme="dark" lang="zh-CN">`: attributes as the data-* options. */
class HurdleCaptchaElement extends HTMLElement {
  connectedCallback(): void {
    if (!byElement.has(this)) render(this, optionsFrom(this));
  }

  disconnectedCallback(): void {
    const widget = byElement.get(this);
    if (widget !== undefined) api.remove(widget.id);
  }

  /** The pass token, or ''. */
  get response(): string {
    return byElement.get(this)?.response ?? '';
  }

  reset(): void {
    byElement.get(this)?.reset();
  }

  execute(): void {
    byElement.get(this)?.execute();
  }
}

declare global {
  interface Window { hurdle: HurdleApi }
}

window.hurdle = api;
if (customElements.get('hurdle-captcha') === undefined) customElements.define('hurdle-captcha', HurdleCaptchaElement);
if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', () => scan());
else scan();
document.dispatchEvent(new CustomEvent('hurdle:ready'));
