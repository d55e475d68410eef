// Light or dark console: the operator's choice, remembered in localStorage; until there is
// one, the OS setting (prefers-color-scheme). The choice is only a word, no secret.

const THEME_KEY = 'hurdle-admin-theme';
export type Theme = 'light' | 'dark';

function stored(): Theme | undefined {
  try {
    const v = localStorage.getItem(THEME_KEY);
    return v === 'light' || v === 'dark' ? v : undefined;
  } catch {
    return undefined;
  }
}

function system(): Theme {
  return typeof matchMedia === 'function' && matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

/** The theme in force: the stored choice, else the OS's. */
export function currentTheme(): Theme {
  return stored() ?? system();
}

/** Apply `theme` to the page (`<html data-theme>`, which the style sheet reads). */
export function applyTheme(theme: Theme): void {
  document.documentElement.dataset['theme'] = theme;
}

/** A button that switches between light and dark and remembers the choice. */
export function themeToggle(): HTMLButtonElement {
  const button = document.createElement('button');
  button.type = 'button';
  button.id = 'theme-toggle';
  button.className = 'small';
  const label = (): void => {
    const dark = currentTheme() === 'dark';
    button.textContent = 'Dark mode';
    button.setAttribute('aria-pressed', String(dark));
  };
  button.addEventListener('click', () => {
    const next: Theme = currentTheme() === 'dark' ? 'light' : 'dark';
    try { localStorage.setItem(THEME_KEY, next); } catch { /* storage off: this page only */ }
    applyTheme(next);
    label();
  });
  // Follow the OS while the operator has not chosen.
  if (typeof matchMedia === 'function') {
    matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => {
      if (stored() === undefined) { applyTheme(system()); label(); }
    });
  }
  label();
  return button;
}
