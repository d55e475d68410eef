// HTML of the demo site and the admin console shell. Pages carry no inline script or
// style: everything executable comes from same-origin files, so a strict CSP holds.

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML element content and double-quoted attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);
}

/** The Content-Security-Policy every page of this package is served with. */
export const PAGE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "worker-src 'self' blob:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "object-src 'none'",
].join('; ');

function page(opts: { title: string; lang: string; bodyClass: string; css: string; scripts: string[]; body: string }): string {
  return `<!doctype html>
<html lang="${escapeHtml(opts.lang)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(opts.title)}</title>
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="${opts.css}">
${opts.scripts.map((src) => `<script src="${src}" defer></script>`).join('\n')}
</head>
<body class="${escapeHtml(opts.bodyClass)}">
${opts.body}
</body>
</html>
`;
}

/** Widget settings a visitor of /demo may try through the query string. */
export interface DemoWidgetSettings {
  sitekey: string;
  theme: 'light' | 'dark' | 'auto';
  /** 'auto', or a language tag the widget ships. */
  lang: string;
  type: 'slide' | 'pow' | '';
  size: 'normal' | 'compact' | 'flexible' | 'invisible';
  /** '' (the widget's default), 'execute' or 'submit'. */
  execution?: '' | 'execute' | 'submit';
  /** '' (none) or the invisible widget's badge. */
  badge?: '' | 'inline' | 'bottomright' | 'bottomleft';
}

const DEMO_TEXT = {
  en: {
    title: 'Hurdle demo: sign up', heading: 'Create your account',
    lead: 'This sign-up form is protected by Hurdle. Solve the puzzle, then sign up: the back end checks the token with /siteverify.',
    name: 'Name', email: 'Email', password: 'Password', submit: 'Sign up', tryIt: 'Try it:',
    light: 'light', dark: 'dark', invisible: 'invisible (proof of work)', slide: 'slide puzzle', onSubmit: 'invisible, on submit',
  },
  'zh-CN': {
    title: 'Hurdle 演示：注册', heading: '创建账户',
    lead: '此注册表单受 Hurdle 保护。完成拼图后提交，后端通过 /siteverify 校验令牌。',
    name: '姓名', email: '邮箱', password: '密码', submit: '注册', tryIt: '试试：',
    light: '浅色', dark: '深色', invisible: '无感验证（工作量证明）', slide: '滑动拼图', onSubmit: '无感验证（提交时）',
  },
} as const;

export function demoPage(s: DemoWidgetSettings): string {
  const t = s.lang === 'zh-CN' ? DEMO_TEXT['zh-CN'] : DEMO_TEXT.en;
  const attrs = [
    `data-sitekey="${escapeHtml(s.sitekey)}"`,
    `data-theme="${s.theme}"`,
    `data-lang="${escapeHtml(s.lang)}"`,
    'data-action="signup"',
    s.type === '' ? '' : `data-type="${s.type}"`,
    s.size === 'normal' ? '' : `data-size="${s.size}"`,
    s.execution === undefined || s.execution === '' ? '' : `data-execution="${s.execution}"`,
    s.badge === undefined || s.badge === '' ? '' : `data-badge="${s.badge}"`,
  ].filter((a) => a !== '').join(' ');
  const link = (query: Record<string, string>, label: string): string => {
    const params = new URLSearchParams({ ...(s.lang === 'auto' ? {} : { lang: s.lang }), ...(s.theme === 'auto' ? {} : { theme: s.theme }), ...(s.size === 'normal' ? {} : { size: s.size }), ...query });
    return `<a href="/demo?${escapeHtml(params.toString())}">${escapeHtml(label)}</a>`;
  };
  return page({
    title: t.title,
    // The page's own text is English or Chinese; the widget speaks the language asked for.
    lang: s.lang === 'zh-CN' ? 'zh-CN' : 'en',
    bodyClass: `theme-${s.theme}`,
    css: '/demo/demo.css',
    scripts: ['/widget/hurdle.js', '/demo/demo.js'],
    body: `<main class="card">
<h1>${t.heading}</h1>
<p class="lead">${t.lead}</p>
<form method="post" action="/demo/signup" id="signup">
<label>${t.name}<input name="name" required autocomplete="name" maxlength="100"></label>
<label>${t.email}<input name="email" type="email" required autocomplete="email" maxlength="200"></label>
<label>${t.password}<input name="password" type="password" required minlength="8" autocomplete="new-password"></label>
<div class="hurdle" id="captcha" ${attrs}></div>
<button type="submit" id="submit">${t.submit}</button>
</form>
<p class="try">${t.tryIt} ${link({ theme: 'light' }, t.light)} · ${link({ theme: 'dark' }, t.dark)} · ${link({ lang: 'en' }, 'English')} · ${link({ lang: 'zh-CN' }, '中文')} · ${link({ lang: 'ar' }, 'العربية')} · ${link({ lang: 'de' }, 'Deutsch')} · ${link({ type: 'slide' }, t.slide)} · ${link({ size: 'compact' }, 'compact')} · ${link({ size: 'flexible' }, 'flexible')} · ${link({ size: 'invisible' }, t.invisible)} · ${link({ size: 'invisible', execution: 'submit', badge: 'inline' }, t.onSubmit)}</p>
</main>`,
  });
}

/** What `/siteverify` answered (reCAPTCHA/Turnstile shape). */
export interface SiteverifyAnswer {
  success: boolean;
  challenge_ts?: string;
  hostname?: string;
  action?: string;
  'error-codes'?: string[];
}

export function demoResultPage(name: string, answer: SiteverifyAnswer): string {
  const rows = answer.success
    ? `<dl><dt>challenge_ts</dt><dd>${escapeHtml(String(answer.challenge_ts ?? ''))}</dd>
<dt>hostname</dt><dd>${escapeHtml(String(answer.hostname ?? ''))}</dd>
<dt>action</dt><dd>${escapeHtml(String(answer.action ?? ''))}</dd></dl>`
    : `<p>error-codes: <code id="error-codes">${escapeHtml((answer['error-codes'] ?? []).join(', '))}</code></p>`;
  return page({
    title: answer.success ? 'Hurdle demo: welcome' : 'Hurdle demo: verification failed',
    lang: 'en',
    bodyClass: 'theme-auto',
    css: '/demo/demo.css',
    scripts: [],
    body: `<main class="card">
<h1 id="result" class="${answer.success ? 'good' : 'bad'}">${answer.success ? `Welcome, ${escapeHtml(name || 'friend')}!` : 'Verification failed'}</h1>
<p>${answer.success ? 'The back end verified your Hurdle token with <code>/siteverify</code>:' : 'The back end could not verify the Hurdle token.'}</p>
${rows}
<p><a href="/demo">Back to the demo</a></p>
</main>`,
  });
}

export function adminPage(): string {
  return page({
    title: 'Hurdle admin',
    lang: 'en',
    bodyClass: 'admin',
    css: '/admin/admin.css',
    scripts: ['/admin/admin.js'],
    body: '<div id="app"><noscript>The Hurdle admin console needs JavaScript.</noscript></div>',
  });
}
