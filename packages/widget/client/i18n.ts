/** The widget's user-visible strings. `{name}` placeholders are filled by {@link format}. */
export interface Strings {
  verify: string; loading: string; slideTitle: string; sliderLabel: string; keyboardHint: string; keyboardOff: string;
  position: string; verifying: string; success: string; retry: string; newPuzzle: string;
  expired: string; tokenExpired: string; refresh: string; error: string; busy: string;
  tryAgain: string; verifyLabel: string; powWorking: string; powProgress: string; usePow: string; brand: string; badSitekey: string; siteDisabled: string;
  close: string; dragHint: string; nextRound: string;
}

/** A key of {@link Strings}. */
export type StringKey = keyof Strings;

/**
 * English: built into hurdle.js (the fallback of every other language and of every missing
 * key). The other languages are separate files, fetched only by a page that shows them.
 */
export const en: Strings = {
  verify: 'I am human',
  loading: 'Loading the challenge…',
  slideTitle: 'Drag the slider to fit the piece into the gap',
  sliderLabel: 'Puzzle slider',
  keyboardHint: 'Use the left and right arrow keys to move the piece (with Shift: 10 pixels), then press Enter.',
  keyboardOff: 'This site does not accept the arrow keys for the puzzle: drag the slider, or choose “Verify without the puzzle”.',
  position: 'Piece at {x} of {max} pixels',
  verifying: 'Checking…',
  success: 'Verified',
  retry: 'Not quite. Try again.',
  newPuzzle: 'Not quite. Here is a new puzzle.',
  expired: 'The puzzle expired.',
  tokenExpired: 'Verification expired. Please verify again.',
  refresh: 'New puzzle',
  error: 'Could not reach the verification service.',
  busy: 'The service is busy; retrying…',
  tryAgain: 'Try again',
  verifyLabel: 'Verify that I am human',
  powWorking: 'Verifying you are human… {p}%',
  powProgress: 'Verification progress',
  usePow: 'Verify without the puzzle',
  brand: 'Protected by Hurdle',
  badSitekey: 'This site key is not valid.',
  siteDisabled: 'Verification is switched off for this site.',
  close: 'Close',
  dragHint: 'Drag the slider',
  nextRound: 'Right. One more puzzle: {n} of {m}.',
};

/**
 * Language tags the widget ships strings for (`client/locales/<tag>.json`, served at
 * `/widget/locales/<tag>.json`). Kept in step with those files by test/locales.test.ts.
 */
export const LANGS = [
  'en', 'ar', 'bg', 'ca', 'cs', 'da', 'de', 'el', 'es', 'et', 'fa', 'fi', 'fr', 'he', 'hi', 'hr', 'hu', 'id', 'it', 'ja',
  'ko', 'lt', 'lv', 'ms', 'nb', 'nl', 'pl', 'pt-BR', 'pt-PT', 'ro', 'ru', 'sk', 'sl', 'sr', 'sv', 'th', 'tr', 'uk', 'vi',
  'zh-CN', 'zh-TW',
] as const;

/** A language tag the widget ships strings for. */
export type Lang = typeof LANGS[number];

/** Languages written right to left: the widget's text and layout are mirrored for them. */
const RTL: ReadonlySet<string> = new Set(['ar', 'fa', 'he']);

export function isRtl(lang: string): boolean {
  return RTL.has(lang);
}

/** Old or alternative primary subtags of the shipped languages. */
const ALIASES: Record<string, string> = { no: 'nb', nn: 'nb', iw: 'he', in: 'id' };

/** The shipped language closest to a BCP 47 tag, or undefined. */
export function matchLang(tag: string | null | undefined): Lang | undefined {
  const lower = (tag ?? '').trim().toLowerCase().replace(/_/g, '-');
  if (lower === '' || lower === 'auto') return undefined;
  const exact = LANGS.find((l) => l.toLowerCase() === lower);
  if (exact !== undefined) return exact;
  const [primary = '', ...rest] = lower.split('-');
  // Chinese: the script (or a region that writes it) picks Traditional or Simplified.
  if (primary === 'zh') return rest.some((s) => s === 'hant' || s === 'tw' || s === 'hk' || s === 'mo') ? 'zh-TW' : 'zh-CN';
  // Portuguese: Brazil's unless another region is named (Portugal's spelling is used there).
  if (primary === 'pt') return rest.length === 0 || rest.includes('br') ? 'pt-BR' : 'pt-PT';
  const base = ALIASES[primary] ?? primary;
  return LANGS.find((l) => l === base);
}

/**
 * Picks a supported language: an explicit choice first, else the visitor's (the browser's
 * languages, in their order of preference), else the page's. The visitor reads the widget:
 * a Chinese reader on an English page gets Chinese.
 */
export function detectLang(explicit?: string | null): Lang {
  const candidates = [explicit, ...(navigator.languages ?? []), navigator.language, document.documentElement.lang];
  for (const tag of candidates) {
    const lang = matchLang(tag);
    if (lang !== undefined) return lang;
  }
  return 'en';
}

/** Longest string accepted from a locale file or a site's override (a layout guard). */
const MAX_STRING = 400;

/** The known keys of `value` that hold a non-empty string; anything else is dropped. */
export function pickStrings(value: unknown): Partial<Strings> {
  const out: Partial<Strings> = {};
  if (typeof value !== 'object' || value === null) return out;
  for (const key of Object.keys(en) as StringKey[]) {
    const s = (value as Record<string, unknown>)[key];
    if (typeof s === 'string' && s !== '' && s.length <= MAX_STRING) out[key] = s;
  }
  return out;
}

const loaded = new Map<Lang, Promise<Partial<Strings>>>();

/**
 * The strings of a language: English at once, the others fetched from
 * `<localesUrl><tag>.json` (once per page, shared by every widget; the HTTP cache keeps it
 * across pages). JSON through fetch: no script, so a page's CSP needs only `connect-src`
 * for the service, which the widget's API calls need anyway. Rejects when it cannot load.
 */
export function loadStrings(lang: Lang, localesUrl: string): Promise<Partial<Strings>> {
  if (lang === 'en') return Promise.resolve(en);
  let p = loaded.get(lang);
  if (p === undefined) {
    p = fetch(new URL(`${lang}.json`, localesUrl).href, { credentials: 'omit' }).then(async (res) => {
      if (!res.ok) throw new Error(`hurdle: locale ${lang} answered HTTP ${res.status}`);
      return pickStrings(await res.json());
    });
    loaded.set(lang, p);
    // A failed load is tried again by the next widget, not remembered.
    p.catch(() => loaded.delete(lang));
  }
  return p;
}

export function format(template: string, values: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (_m, key: string) => String(values[key] ?? ''));
}
