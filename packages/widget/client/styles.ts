// The widget's style sheet. It lives in the widget's shadow root (adopted as a constructed
// sheet, so a page's CSP `style-src` without 'unsafe-inline' does not block it) and is
// isolated from the host page's CSS in both directions.
export const css = `
:host{display:block;max-width:320px}
:host([data-size="compact"]){max-width:240px}
:host([data-size="flexible"]){max-width:none;min-width:260px}
.r{--bg:#fff;--fg:#1f2328;--mut:#59636e;--bd:#8c959f;--ac:#0b63ce;--hd:#0b63ce;--ok:#1a7f37;--bad:#cf222e;--tr:#eef1f4;--ht:#59636e;--sh:0 1px 3px rgba(0,0,0,.12);
position:relative;box-sizing:border-box;width:100%;font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,"PingFang SC","Microsoft YaHei",Tahoma,sans-serif;
color:var(--fg);background:var(--bg);border:1px solid var(--bd);border-radius:8px;box-shadow:var(--sh);padding:10px;text-align:start;overflow-wrap:break-word}
.r.dark{--bg:#1c2128;--fg:#e6edf3;--mut:#9198a1;--bd:#636c76;--ac:#4493f8;--hd:#1f6feb;--ok:#3fb950;--bad:#f85149;--tr:#2d333b;--ht:#b7bdc8;--sh:0 1px 3px rgba(0,0,0,.5)}
.r.sz-compact{font-size:13px;padding:8px}
.r.inv{border:0;padding:0;background:none;box-shadow:none}
.r *{box-sizing:border-box}
[hidden]{display:none!important}
button{font:inherit;color:inherit;cursor:pointer}
.bar{display:flex;flex-wrap:wrap;align-items:center;column-gap:8px;min-height:36px}
.chk{flex:1 1 auto;display:flex;align-items:center;gap:10px;min-height:36px;background:none;border:0;padding:4px;text-align:start;border-radius:6px}
.chk:disabled{cursor:default}
.box{flex:none;width:24px;height:24px;border:2px solid var(--mut);border-radius:4px;display:grid;place-items:center;background:var(--bg)}
.ok .box{border-color:var(--ok);background:var(--ok)}
.ok .box::after{content:"";width:6px;height:12px;border:solid #fff;border-width:0 3px 3px 0;transform:translateY(-2px) rotate(45deg)}
.busy .box{border-color:var(--tr);border-top-color:var(--ac);border-radius:50%;animation:spin .8s linear infinite}
@keyframes spin{to{transform:rotate(360deg)}}
@media (prefers-reduced-motion:reduce){.busy .box{animation-duration:2.4s}.prog>div{transition:none}}
.brand{font-size:11px;color:var(--mut)}
.sz-compact .brand{flex-basis:100%;padding-inline-start:4px}
.panel{margin-top:8px}
.title{font-weight:600;margin:0 0 6px}
.geo{direction:ltr}
.stage{position:relative;width:100%;overflow:hidden;border-radius:6px;background:var(--tr);touch-action:none;user-select:none;-webkit-user-select:none}
.stage img{position:absolute;left:0;top:0;display:block;pointer-events:none;-webkit-user-drag:none}
.stage .bgi{width:100%;height:100%}
.piece{filter:drop-shadow(0 0 2px rgba(0,0,0,.6))}
.track{position:relative;height:40px;margin-top:8px;border-radius:20px;background:var(--tr);touch-action:none;user-select:none;-webkit-user-select:none}
.fill{position:absolute;left:0;top:0;bottom:0;border-radius:20px;background:var(--ac);opacity:.25}
.hint{position:absolute;top:0;bottom:0;left:48px;right:0;display:grid;place-items:center;padding:0 6px;font-size:12px;line-height:1.2;text-align:center;color:var(--ht);pointer-events:none;overflow:hidden}
.handle{position:absolute;left:0;top:0;width:48px;height:40px;border-radius:20px;background:var(--hd);color:#fff;display:grid;place-items:center;font-size:20px;cursor:grab;touch-action:none;box-shadow:var(--sh)}
.handle:active{cursor:grabbing}
.handle:focus-visible,button:focus-visible{outline:3px solid var(--ac);outline-offset:2px}
.tools{display:flex;flex-wrap:wrap;justify-content:space-between;gap:0 8px;margin-top:6px}
.link{display:inline-flex;align-items:center;min-height:24px;background:none;border:0;padding:2px 0;color:var(--ac);font-size:12px;text-decoration:underline;text-align:start}
.st{min-height:1.4em;margin-top:4px;font-size:13px;color:var(--mut)}
.st:empty{min-height:0;margin:0}
.st.bad{color:var(--bad)}
.st.good{color:var(--ok)}
.prog{height:6px;margin-top:6px;border-radius:3px;background:var(--tr);overflow:hidden}
.prog>div{height:100%;width:0;background:var(--ac);transition:width .1s linear}
.sr{position:absolute;width:1px;height:1px;margin:-1px;padding:0;border:0;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.inv .prog{display:none}
.badge{display:inline-flex;align-items:center;gap:6px;font-size:11px;line-height:1.2;color:var(--mut);background:var(--bg);border:1px solid var(--bd);border-radius:12px;padding:3px 9px;box-shadow:var(--sh)}
.badge::before{content:"";width:8px;height:8px;border-radius:50%;background:var(--ac)}
.badge.ok::before{background:var(--ok)}
.badge.fixed{position:fixed;bottom:14px;right:14px;z-index:2147483000}
.badge.fixed.left{right:auto;left:14px}
`;

let shared: CSSStyleSheet | undefined;

/** Applies the widget's styles to a shadow root. */
export function applyStyles(root: ShadowRoot): void {
  if ('adoptedStyleSheets' in root && typeof CSSStyleSheet === 'function' && 'replaceSync' in CSSStyleSheet.prototype) {
    try {
      shared ??= new CSSStyleSheet();
      if (shared.cssRules.length === 0) shared.replaceSync(css);
      root.adoptedStyleSheets = [shared];
      return;
    } catch {
      // fall through to a <style> element (older engines)
    }
  }
  const style = document.createElement('style');
  style.textContent = css;
  root.appendChild(style);
}
