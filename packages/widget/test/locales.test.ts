// The widget's languages: every locale file has every English string, translated (none left
// in English), with the same placeholders; the list the widget knows matches the files.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { builtLocales, DEFAULT_ASSETS_DIR } from '../src/widget-routes.js';

const PKG = fileURLToPath(new URL('../../', import.meta.url));
const LOCALES_DIR = join(PKG, 'client', 'locales');
const I18N = readFileSync(join(PKG, 'client', 'i18n.ts'), 'utf8');

/** The English strings, read from client/i18n.ts (one `key: 'text',` per line). */
function english(): Record<string, string> {
  const block = /export const en: Strings = \{\n([\s\S]*?)\n\};/.exec(I18N)?.[1] ?? '';
  const out: Record<string, string> = {};
  for (const line of block.split('\n')) {
    const m = /^\s+(\w+): '(.*)',$/.exec(line);
    if (m !== null) out[m[1] as string] = m[2] as string;
  }
  return out;
}

function listed(name: string): string[] {
  const body = new RegExp(`const ${name}[^=]*= (?:new Set\\()?\\[([^\\]]*)\\]`).exec(I18N)?.[1] ?? '';
  return [...body.matchAll(/'([^']+)'/g)].map((m) => m[1] as string);
}

const en = english();
const files = readdirSync(LOCALES_DIR).filter((n) => n.endsWith('.json')).map((n) => n.slice(0, -5)).sort();
const locales = new Map(files.map((tag) => [tag, JSON.parse(readFileSync(join(LOCALES_DIR, `${tag}.json`), 'utf8')) as Record<string, unknown>]));
const placeholders = (s: string): string[] => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1] as string).sort();

test('English has every string (the parse of i18n.ts found them)', () => {
  assert.ok(Object.keys(en).length >= 25, `found ${Object.keys(en).length} English strings`);
  assert.equal(en['verify'], 'I am human');
});

test('at least 40 languages, right-to-left ones included; LANGS lists exactly the files plus English', () => {
  assert.deepEqual(listed('LANGS').sort(), ['en', ...files].sort());
  assert.ok(files.length + 1 >= 40, `${files.length + 1} languages`);
  for (const tag of ['ar', 'he', 'fa']) assert.ok(files.includes(tag), tag);
  assert.deepEqual(listed('RTL').sort(), ['ar', 'fa', 'he']);
});

test('every locale has every string, non-empty, with the English placeholders, and no unknown key', () => {
  for (const [tag, strings] of locales) {
    assert.deepEqual(Object.keys(strings).sort(), Object.keys(en).sort(), tag);
    for (const [key, text] of Object.entries(en)) {
      const value = strings[key];
      assert.equal(typeof value, 'string', `${tag}.${key}`);
      assert.ok((value as string).trim() !== '' && (value as string).length <= 400, `${tag}.${key}`);
      assert.deepEqual(placeholders(value as string), placeholders(text), `${tag}.${key} keeps the placeholders`);
    }
  }
});

test('nothing is left in English, and each locale names its own puzzle-free button where it refers to it', () => {
  for (const [tag, strings] of locales) {
    const same = Object.keys(en).filter((key) => strings[key] === en[key]);
    assert.deepEqual(same, [], `${tag}: strings identical to English`);
    assert.ok(String(strings['keyboardOff']).includes(String(strings['usePow'])), `${tag}: keyboardOff quotes usePow`);
    assert.ok(String(strings['brand']).includes('Hurdle'), `${tag}: the brand names Hurdle`);
  }
});

test('each language is written in its own script', () => {
  const scripts: Record<string, RegExp> = {
    ar: /\p{Script=Arabic}/u, fa: /\p{Script=Arabic}/u, he: /\p{Script=Hebrew}/u, ru: /\p{Script=Cyrillic}/u, uk: /\p{Script=Cyrillic}/u,
    bg: /\p{Script=Cyrillic}/u, sr: /\p{Script=Cyrillic}/u, el: /\p{Script=Greek}/u, hi: /\p{Script=Devanagari}/u, th: /\p{Script=Thai}/u,
    ja: /[\p{Script=Hiragana}\p{Script=Katakana}]/u, ko: /\p{Script=Hangul}/u, 'zh-CN': /\p{Script=Han}/u, 'zh-TW': /\p{Script=Han}/u,
  };
  for (const [tag, re] of Object.entries(scripts)) {
    const strings = locales.get(tag);
    assert.ok(strings !== undefined, tag);
    for (const key of ['verify', 'slideTitle', 'usePow', 'expired']) assert.match(String(strings[key]), re, `${tag}.${key}`);
  }
});

test('the short labels stay short enough for the compact widget (the browser test checks the layout)', () => {
  // The check box label, the slider's hint and the two links share one line each.
  const limits: Record<string, number> = { verify: 24, tryAgain: 24, success: 24, refresh: 24, dragHint: 28, usePow: 36, brand: 28 };
  for (const [tag, strings] of locales) {
    for (const [key, limit] of Object.entries(limits)) {
      assert.ok(String(strings[key]).length <= limit, `${tag}.${key} is ${String(strings[key]).length} characters: "${String(strings[key])}"`);
    }
  }
});

test('the build serves every locale file', () => {
  assert.deepEqual(builtLocales(DEFAULT_ASSETS_DIR), files);
});
