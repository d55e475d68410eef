import { h } from '../dom.js';
import { AdminApiError, call, GRACE_CHOICES, listSites, siteAndSecret, type Site, type SiteInput } from './admin-api.js';

/** The embed snippet a site owner pastes into a page. */
export function embedSnippet(sitekey: string): string {
  const origin = location.origin;
  return `<script src="${origin}/widget/hurdle.js" async defer></script>\n<div class="hurdle" data-sitekey="${sitekey}"></div>`;
}

async function copy(text: string, button: HTMLButtonElement): Promise<void> {
  const label = button.textContent;
  try {
    await navigator.clipboard.writeText(text);
    button.textContent = 'Copied';
  } catch {
    button.textContent = 'Select and copy';
  }
  setTimeout(() => { button.textContent = label; }, 1500);
}

function typesLabel(types: readonly string[]): string {
  return types.join(', ');
}

/** Sites: list, create, edit, disable/enable, rotate secret, embed snippet. */
export class SitesView {
  readonly el: HTMLElement;
  readonly #list = h('tbody');
  readonly #detail = h('div', { class: 'detail', id: 'site-detail' });
  readonly #message = h('p', { class: 'msg', role: 'status' });
  readonly #onAuthError: () => void;

  constructor(onAuthError: () => void) {
    this.#onAuthError = onAuthError;
    const create = h('button', { type: 'button', id: 'new-site', class: 'primary' }, 'New site');
    create.addEventListener('click', () => this.#editForm(undefined));
    this.el = h('div', { class: 'sites' },
      h('div', { class: 'toolbar' }, h('h2', {}, 'Sites'), create),
      this.#message,
      this.#detail,
      h('div', { class: 'table-wrap' }, h('table', { class: 'table', id: 'sites-table' },
        h('thead', {}, h('tr', {}, ...['Name', 'Site key', 'Types', 'Hostnames', 'Status', 'Actions'].map((t) => h('th', { scope: 'col' }, t)))),
        this.#list)));
  }

  async refresh(): Promise<void> {
    try {
      const sites = await listSites();
      this.#list.replaceChildren(...sites.map((s) => this.#row(s)));
      if (sites.length === 0) this.#list.append(h('tr', {}, h('td', { colspan: '6', class: 'muted' }, 'No sites yet. Create one.')));
    } catch (err) {
      this.#error(err);
    }
  }

  #error(err: unknown): void {
    if (err instanceof AdminApiError && (err.status === 401 || err.status === 403)) { this.#onAuthError(); return; }
    this.#message.className = 'msg bad';
    this.#message.textContent = err instanceof Error ? err.message : String(err);
  }

  #ok(text: string): void {
    this.#message.className = 'msg good';
    this.#message.textContent = text;
  }

  #row(site: Site): HTMLTableRowElement {
    const act = (label: string, fn: () => void, cls = ''): HTMLButtonElement => {
      const b = h('button', { type: 'button', class: `small ${cls}`, 'data-action': label.toLowerCase().replace(/\s+/g, '-') }, label);
      b.addEventListener('click', fn);
      return b;
    };
    const rotate = act('Rotate secret', () => this.#rotateForm(site));
    const toggle = site.enabled
      ? act('Disable', () => void this.#run(() => call('POST', `sites/${encodeURIComponent(site.sitekey)}/disable`), `Disabled ${site.name}.`), 'danger')
      : act('Enable', () => void this.#run(() => call('PATCH', `sites/${encodeURIComponent(site.sitekey)}`, { enabled: true }), `Enabled ${site.name}.`));
    const ends = site.secretRotationEndsAt;
    return h('tr', { 'data-sitekey': site.sitekey },
      h('td', { 'data-label': 'Name' }, site.name),
      h('td', { 'data-label': 'Site key' }, h('code', {}, site.sitekey)),
      h('td', { 'data-label': 'Types' }, typesLabel(site.challengeTypes ?? [])),
      h('td', { 'data-label': 'Hostnames' }, (site.hostnames ?? []).length === 0 ? h('span', { class: 'muted' }, 'any') : site.hostnames.join(', ')),
      h('td', { 'data-label': 'Status' }, h('span', { class: `pill ${site.enabled ? 'on' : 'off'}` }, site.enabled ? 'enabled' : 'disabled'),
        typeof ends === 'number' && ends > Date.now() ? h('span', { class: 'muted grace-note' }, ` previous secret valid until ${new Date(ends).toLocaleString()}`) : ''),
      h('td', { class: 'actions', 'data-label': 'Actions' },
        act('Edit', () => this.#editForm(site)),
        act('Snippet', () => this.#showSnippet(site, undefined)),
        rotate,
        toggle));
  }

  async #run(fn: () => Promise<unknown>, done: string): Promise<void> {
    try {
      await fn();
      this.#ok(done);
      await this.refresh();
    } catch (err) {
      this.#error(err);
    }
  }

  /** Rotation asks for the grace first: how long the previous secret keeps verifying. */
  #rotateForm(site: Site): void {
    const grace = h('select', { name: 'graceMs', id: 'rotate-grace' }, ...GRACE_CHOICES.map(([ms, label]) => h('option', { value: String(ms) }, label)));
    grace.value = String(GRACE_CHOICES[0]?.[0] ?? 0);
    const confirm = h('button', { type: 'submit', class: 'primary', id: 'rotate-confirm' }, 'Rotate now');
    const cancel = h('button', { type: 'button' }, 'Cancel');
    cancel.addEventListener('click', () => this.#detail.replaceChildren());
    const form = h('form', { class: 'panel form', id: 'rotate-form' },
      h('h3', {}, `Rotate the secret of ${site.name}`),
      h('p', {}, 'A new secret is made and shown once. Choose how long the previous secret keeps working, so your back ends can switch over.'),
      h('label', {}, 'Previous secret keeps working for', grace),
      h('div', { class: 'row' }, confirm, cancel));
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.#rotate(site, Number(grace.value));
    });
    this.#detail.replaceChildren(form);
    grace.focus();
  }

  async #rotate(site: Site, graceMs: number): Promise<void> {
    try {
      const { site: after, secret } = siteAndSecret(await call<unknown>('POST', `sites/${encodeURIComponent(site.sitekey)}/rotate-secret`, { graceMs }));
      const ends = after?.secretRotationEndsAt;
      this.#ok(graceMs === 0 || typeof ends !== 'number'
        ? `Rotated the secret of ${site.name}. The previous secret no longer works.`
        : `Rotated the secret of ${site.name}. The previous secret keeps working until ${new Date(ends).toLocaleString()}.`);
      this.#showSnippet(site, secret);
      await this.refresh();
    } catch (err) {
      this.#error(err);
    }
  }

  #showSnippet(site: Site, secret: string | undefined): void {
    const snippet = embedSnippet(site.sitekey);
    const copySnippet = h('button', { type: 'button', class: 'small', id: 'copy-snippet' }, 'Copy snippet');
    copySnippet.addEventListener('click', () => void copy(snippet, copySnippet));
    const parts: Node[] = [h('h3', {}, `Embed ${site.name}`), h('pre', { class: 'snippet', id: 'snippet' }, snippet), copySnippet];
    if (secret !== undefined) {
      const copySecret = h('button', { type: 'button', class: 'small' }, 'Copy secret');
      copySecret.addEventListener('click', () => void copy(secret, copySecret));
      parts.push(h('p', { class: 'warn' }, 'Secret for your back end (shown once; store it now):'),
        h('pre', { class: 'snippet', id: 'secret' }, secret), copySecret);
    }
    const close = h('button', { type: 'button', class: 'small' }, 'Close');
    close.addEventListener('click', () => this.#detail.replaceChildren());
    parts.push(close);
    this.#detail.replaceChildren(h('div', { class: 'panel' }, ...parts));
  }

  #editForm(site: Site | undefined): void {
    const field = (label: string, input: HTMLElement): HTMLElement => h('label', {}, label, input);
    const name = h('input', { name: 'name', required: true, maxlength: '200', value: site?.name ?? '' });
    const hostnames = h('input', { name: 'hostnames', placeholder: 'example.com, *.example.org (empty = any)', value: (site?.hostnames ?? []).join(', ') });
    const types = h('select', { name: 'challengeTypes' },
      ...[['slide', 'Slide puzzle'], ['pow', 'Invisible proof of work'], ['slide,pow', 'Slide (PoW allowed)'], ['pow,slide', 'PoW (slide allowed)']]
        .map(([v, l]) => h('option', { value: v ?? '' }, l ?? '')));
    types.value = (site?.challengeTypes ?? ['slide', 'pow']).join(',');
    if (types.value === '') types.value = 'slide,pow';
    const difficulty = h('input', { name: 'difficulty', type: 'number', min: '1', max: '32', value: String(site?.difficulty ?? 16) });
    const algorithm = h('select', { name: 'powAlgorithm' },
      ...[['sha256', 'SHA-256 (fast)'], ['scrypt', 'scrypt (memory-hard: GPUs gain little)']].map(([v, l]) => h('option', { value: v ?? '' }, l ?? '')));
    algorithm.value = site?.powAlgorithm ?? 'sha256';
    const rate = h('input', { name: 'rateLimitPerSecond', type: 'number', min: '0', value: String(site?.rateLimitPerSecond ?? 0) });
    const keyboard = h('input', { name: 'keyboardSolve', type: 'checkbox' });
    keyboard.checked = site?.keyboardSolve !== false;
    const save = h('button', { type: 'submit', class: 'primary' }, site === undefined ? 'Create site' : 'Save');
    const cancel = h('button', { type: 'button' }, 'Cancel');
    cancel.addEventListener('click', () => this.#detail.replaceChildren());
    const form = h('form', { class: 'panel form', id: 'site-form' },
      h('h3', {}, site === undefined ? 'New site' : `Edit ${site.name}`),
      field('Name', name), field('Hostnames', hostnames), field('Challenge', types),
      field('PoW difficulty (bits)', difficulty), field('PoW hash', algorithm), field('Rate limit (challenges/s, 0 = default)', rate),
      field('Slide may be solved with the arrow keys', keyboard),
      h('div', { class: 'row' }, save, cancel));
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const input: SiteInput = {
        name: name.value.trim(),
        hostnames: hostnames.value.split(/[\s,]+/).filter((x) => x !== ''),
        challengeTypes: types.value.split(',') as ('slide' | 'pow')[],
        difficulty: Number(difficulty.value),
        powAlgorithm: algorithm.value === 'scrypt' ? 'scrypt' : 'sha256',
        rateLimitPerSecond: Number(rate.value),
        keyboardSolve: keyboard.checked,
      };
      void (async () => {
        try {
          if (site === undefined) {
            const created = siteAndSecret(await call<unknown>('POST', 'sites', input));
            this.#ok(`Created ${input.name ?? ''}.`);
            if (created.site !== undefined) this.#showSnippet(created.site, created.secret);
            else this.#detail.replaceChildren();
          } else {
            await call('PATCH', `sites/${encodeURIComponent(site.sitekey)}`, input);
            this.#ok(`Saved ${input.name ?? ''}.`);
            this.#detail.replaceChildren();
          }
          await this.refresh();
        } catch (err) {
          this.#error(err);
        }
      })();
    });
    this.#detail.replaceChildren(form);
    name.focus();
  }
}
