/** The widget's user-visible strings. `{name}` placeholders are filled by {@link format}. */
export interface Strings {
  verify: string; loading: string; slideTitle: string; sliderLabel: string; keyboardHint: string; keyboardOff: string;
  position: string; verifying: string; success: string; retry: string; newPuzzle: string;
  expired: string; tokenExpired: string; refresh: string; error: string; busy: string;
  tryAgain: string; verifyLabel: string; powWorking: string; usePow: string; brand: string; badSitekey: string; siteDisabled: string;
  close: string; dragHint: string; nextRound: string;
}

const en: Strings = {
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
  usePow: 'Verify without the puzzle',
  brand: 'Protected by Hurdle',
  badSitekey: 'This site key is not valid.',
  siteDisabled: 'Verification is switched off for this site.',
  close: 'Close',
  dragHint: 'Drag the slider',
  nextRound: 'Right. One more puzzle: {n} of {m}.',
};

const zhCN: Strings = {
  verify: '点击验证，我是人类',
  loading: '正在加载验证…',
  slideTitle: '拖动滑块，使拼图块嵌入缺口',
  sliderLabel: '拼图滑块',
  keyboardHint: '使用左右方向键移动拼图块（按住 Shift 每次 10 像素），然后按回车键提交。',
  keyboardOff: '此站点的拼图不接受方向键：请拖动滑块，或选择“不用拼图验证”。',
  position: '拼图块位于 {x} / {max} 像素',
  verifying: '正在校验…',
  success: '验证成功',
  retry: '位置不对，请再试一次。',
  newPuzzle: '位置不对，已换一张新拼图。',
  expired: '拼图已过期。',
  tokenExpired: '验证已过期，请重新验证。',
  refresh: '换一张',
  error: '无法连接验证服务。',
  busy: '服务繁忙，正在重试…',
  tryAgain: '重试',
  verifyLabel: '开始人机验证',
  powWorking: '正在进行人机验证… {p}%',
  usePow: '不用拼图验证',
  brand: '由 Hurdle 提供保护',
  badSitekey: '站点密钥无效。',
  siteDisabled: '此站点已停用人机验证。',
  close: '关闭',
  dragHint: '向右拖动滑块',
  nextRound: '正确。还有一张拼图：第 {n} / {m} 张。',
};

/** Language tags the widget ships strings for. */
export type Lang = 'en' | 'zh-CN';

/**
 * Picks a supported language: an explicit choice first, else the visitor's (the browser's
 * languages, in their order of preference), else the page's. The visitor reads the widget:
 * a Chinese reader on an English page gets Chinese.
 */
export function detectLang(explicit?: string | null): Lang {
  const candidates = [explicit, ...(navigator.languages ?? []), navigator.language, document.documentElement.lang];
  for (const tag of candidates) {
    const lower = (tag ?? '').toLowerCase();
    if (lower.startsWith('zh')) return 'zh-CN';
    if (lower.startsWith('en')) return 'en';
  }
  return 'en';
}

export function strings(lang: Lang): Strings {
  return lang === 'zh-CN' ? zhCN : en;
}

export function format(template: string, values: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (_m, key: string) => String(values[key] ?? ''));
}
