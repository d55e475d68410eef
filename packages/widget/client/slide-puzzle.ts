import type { Challenge, Trajectory } from './api.js';
import { h } from './dom.js';
import { format, type Strings } from './i18n.js';

type SlidePayload = NonNullable<Challenge['slide']>;

/** Longest pointer trajectory sent; samples closer than MIN_SAMPLE_MS apart are merged. */
const MAX_SAMPLES = 400;
const MIN_SAMPLE_MS = 8;
/**
 * Keyboard: the piece moves 1 px per arrow key, KEY_BIG_STEP with Shift (or Page Up/Down);
 * the service's keyboard rules accept exactly these steps (`keyStepsPx`).
 */
const KEY_BIG_STEP = 10;
/** Keyboard traces are never merged or cut; the service takes at most this many samples. */
const MAX_KEY_SAMPLES = 2000;
/**
 * A held key's auto-repeat is followed no faster than this (some systems repeat every
 * 15 ms; the service refuses presses under 25 ms apart as machine-made).
 */
const MIN_KEY_REPEAT_MS = 35;

function newFacts(): { n: number; t: number; k: number; kt: number; pt: string; pr: number; pw: number; ph: number; co: number; cc: number } {
  return { n: 0, t: 0, k: 0, kt: 0, pt: '', pr: 0, pw: 0, ph: 0, co: 0, cc: 0 };
}

/**
 * The slide puzzle: a background with a gap, a piece that moves along x, and a slider that
 * moves it by pointer (mouse, touch, pen) or by keyboard. Positions and the recorded
 * trajectory are in background-image pixels, as the HTTP contract wants.
 *
 * Scale: the puzzle is drawn at the widget's width, `scale` = shown px per background px.
 * The handle is exactly as wide as the shown piece and sits under it, so its travel is
 * `maxX * scale`: a pointer that moves d px moves the piece d px on screen, d / scale
 * background px, at every size. The piece's shown left edge is always `x * scale`.
 *
 * Direction: the picture and its gap are the service's, x from the left edge; a right-to-left
 * language mirrors the widget's text and controls but not this geometry (`.geo` is always
 * left to right), so the piece moves the way the handle does and ArrowRight moves it right.
 */
export class SlidePuzzle {
  readonly el: HTMLDivElement;
  readonly handle: HTMLDivElement;
  readonly #stage: HTMLDivElement;
  readonly #bg: HTMLImageElement;
  readonly #piece: HTMLImageElement;
  readonly #track: HTMLDivElement;
  readonly #fill: HTMLDivElement;
  readonly #trackHint: HTMLSpanElement;
  #t: Strings;
  readonly #onSubmit: (x: number, trajectory: Trajectory, input: 'pointer' | 'keyboard') => void;
  #slide: SlidePayload | undefined;
  #x = 0;
  #trajectory: Trajectory = [];
  #startedAt = 0;
  #enabled = false;
  /** Arrow-key solving; the site may turn it off (the service would fail such a solve). */
  #keys = true;
  #input: 'pointer' | 'keyboard' = 'pointer';
  #drag: { pointerId: number; startClientX: number; startX: number; keys: Trajectory | undefined } | undefined;
  /**
   * What the slider's own events were like, for the browser probe: pointer events of drags and
   * how many were trusted (made by the user agent, not a script), key presses likewise, and the
   * pointer's fields. A trace with more samples than these events was not recorded from them.
   */
  #facts = newFacts();
  #resize: ResizeObserver | undefined;

  constructor(t: Strings, hintId: string, onSubmit: (x: number, trajectory: Trajectory, input: 'pointer' | 'keyboard') => void) {
    this.#t = t;
    this.#onSubmit = onSubmit;
    this.#bg = h('img', { class: 'bgi', alt: '', draggable: 'false' });
    this.#piece = h('img', { class: 'piece', alt: '', draggable: 'false' });
    this.#stage = h('div', { class: 'stage', 'aria-hidden': 'true' }, this.#bg, this.#piece);
    this.#fill = h('div', { class: 'fill' });
    this.#trackHint = h('span', { class: 'hint', 'aria-hidden': 'true' }, t.dragHint);
    this.handle = h('div', {
      class: 'handle', role: 'slider', tabindex: '0', 'aria-label': t.sliderLabel,
      'aria-describedby': hintId, 'aria-valuemin': '0', 'aria-valuemax': '0', 'aria-valuenow': '0',
      'aria-orientation': 'horizontal',
    }, '\u203a');
    this.#track = h('div', { class: 'track' }, this.#fill, this.#trackHint, this.handle);
    this.el = h('div', { class: 'geo', dir: 'ltr' }, this.#stage, this.#track);

    this.handle.addEventListener('pointerdown', (e) => this.#down(e));
    this.handle.addEventListener('pointermove', (e) => this.#move(e));
    this.handle.addEventListener('pointerup', (e) => this.#up(e));
    this.handle.addEventListener('pointercancel', (e) => this.#up(e));
    this.handle.addEventListener('keydown', (e) => this.#key(e));
    if (typeof ResizeObserver === 'function') {
      this.#resize = new ResizeObserver(() => this.#layout());
      this.#resize.observe(this.#stage);
    }
  }

  /** Largest x of the piece's left edge, in background pixels. */
  get maxX(): number {
    return this.#slide === undefined ? 0 : Math.max(0, this.#slide.width - this.#slide.pieceWidth);
  }

  /** Whether this puzzle may be solved with the arrow keys (the site's setting). */
  get keyboard(): boolean {
    return this.#keys;
  }

  /** New strings (a language loaded after the puzzle was built); `dir` of the hint text. */
  setStrings(t: Strings, dir: 'ltr' | 'rtl'): void {
    this.#t = t;
    this.handle.setAttribute('aria-label', t.sliderLabel);
    this.#trackHint.textContent = t.dragHint;
    this.#trackHint.dir = dir;
    this.#layout();
  }

  /** Shows a new puzzle with the piece at x = 0. */
  show(slide: SlidePayload): void {
    this.#slide = slide;
    this.#keys = slide.keyboard !== false;
    this.#bg.src = slide.background;
    this.#piece.src = slide.piece;
    this.handle.setAttribute('aria-valuemax', String(this.maxX));
    this.#facts = newFacts();
    this.reset();
  }

  /** The slider's input facts since the puzzle was shown (see `#facts`). */
  get inputFacts(): Record<string, string | number | boolean> {
    return { ...this.#facts };
  }

  /** Moves the piece back to the start for another attempt on the same puzzle. */
  reset(): void {
    this.#x = 0;
    this.#input = 'pointer';
    this.#trajectory = [];
    this.#drag = undefined;
    this.setEnabled(true);
    this.#layout();
  }

  setEnabled(enabled: boolean): void {
    this.#enabled = enabled;
    this.handle.setAttribute('aria-disabled', String(!enabled));
  }

  destroy(): void {
    this.#resize?.disconnect();
  }

  #scale(): number {
    const width = this.#stage.clientWidth;
    return this.#slide === undefined || width === 0 ? 1 : width / this.#slide.width;
  }

  #maxOffset(): number {
    return Math.max(1, this.#track.clientWidth - this.handle.offsetWidth);
  }

  /** Shown px per background px of pointer travel (1 / scale when the handle is the piece's width). */
  #pxPerX(): number {
    return this.maxX === 0 ? 1 : this.#maxOffset() / this.maxX;
  }

  #layout(): void {
    const slide = this.#slide;
    // Hidden (the panel closed): nothing to lay out, and the piece keeps its place.
    if (slide === undefined || this.#stage.clientWidth === 0) return;
    const scale = this.#scale();
    this.#stage.style.height = `${slide.height * scale}px`;
    this.#piece.style.width = `${slide.pieceWidth * scale}px`;
    this.#piece.style.height = `${slide.pieceHeight * scale}px`;
    this.#piece.style.top = `${slide.pieceY * scale}px`;
    this.#piece.style.left = `${this.#x * scale}px`;
    const handleWidth = Math.max(24, slide.pieceWidth * scale);
    this.handle.style.width = `${handleWidth}px`;
    this.#trackHint.style.left = `${handleWidth}px`;
    const offset = this.#x * this.#pxPerX();
    this.handle.style.left = `${offset}px`;
    this.#fill.style.width = `${offset + handleWidth / 2}px`;
    this.#trackHint.hidden = this.#x > 0;
    const x = Math.round(this.#x);
    this.handle.setAttribute('aria-valuenow', String(x));
    this.handle.setAttribute('aria-valuetext', format(this.#t.position, { x, max: this.maxX }));
  }

  #record(clientY: number): void {
    const slide = this.#slide;
    if (slide === undefined) return;
    const t = Math.round(performance.now() - this.#startedAt);
    // The service's frame: y is the pointer's offset from the track's centre line, in
    // background pixels (it checks that a drag starts on the handle and stays near the track).
    const track = this.#track.getBoundingClientRect();
    const y = (clientY - (track.top + track.height / 2)) / this.#scale();
    const sample: [number, number, number] = [Math.round(this.#x * 10) / 10, Math.round(y * 10) / 10, t];
    const last = this.#trajectory[this.#trajectory.length - 1];
    if (last !== undefined && t - last[2] < MIN_SAMPLE_MS && this.#trajectory.length > 1) {
      this.#trajectory[this.#trajectory.length - 1] = sample;
    } else if (this.#trajectory.length < MAX_SAMPLES) {
      this.#trajectory.push(sample);
    } else {
      this.#trajectory[MAX_SAMPLES - 1] = sample;
    }
  }

  #down(e: PointerEvent): void {
    if (!this.#enabled || this.#drag !== undefined || e.button !== 0) return;
    e.preventDefault();
    this.#count(e);
    this.#facts.pt = e.pointerType;
    this.#facts.pw = e.width;
    this.#facts.ph = e.height;
    this.handle.setPointerCapture(e.pointerId);
    this.handle.focus({ preventScroll: true });
    // A press that does not move the piece must not throw away a keyboard solve under way.
    const keys = this.#input === 'keyboard' ? this.#trajectory : undefined;
    this.#drag = { pointerId: e.pointerId, startClientX: e.clientX, startX: this.#x, keys };
    this.#trajectory = [];
    this.#input = 'pointer';
    this.#startedAt = performance.now();
    this.#record(e.clientY);
  }

  #count(e: PointerEvent): void {
    const f = this.#facts;
    f.n++;
    if (e.isTrusted) f.t++;
    f.pr = Math.max(f.pr, e.pressure);
    if (e.type === 'pointermove') {
      // Safari has no getCoalescedEvents; several per move show a pointer faster than the frame rate.
      f.co = typeof e.getCoalescedEvents === 'function' ? 1 : 0;
      if (f.co === 1) f.cc = Math.max(f.cc, e.getCoalescedEvents().length);
    }
  }

  #move(e: PointerEvent, counted = false): void {
    const drag = this.#drag;
    if (drag === undefined || e.pointerId !== drag.pointerId) return;
    e.preventDefault();
    if (!counted) this.#count(e);
    const dx = (e.clientX - drag.startClientX) / this.#pxPerX();
    this.#x = Math.min(this.maxX, Math.max(0, drag.startX + dx));
    this.#layout();
    this.#record(e.clientY);
  }

  #up(e: PointerEvent): void {
    const drag = this.#drag;
    if (drag === undefined || e.pointerId !== drag.pointerId) return;
    this.#count(e);
    this.#move(e, true);
    this.#drag = undefined;
    if (e.type === 'pointercancel' || this.#x === drag.startX) {
      if (e.type === 'pointercancel') {
        this.reset();
      } else if (drag.keys !== undefined) {
        this.#trajectory = drag.keys;
        this.#input = 'keyboard';
      }
      return;
    }
    this.#submit();
  }

  /**
   * Keyboard solve, recorded as the service's keyboard rules expect: a start marker
   * `[0, 0, 0]` on the first key press, then one `[x, 0, tMs]` per press (a press against an
   * end of the track included), x the piece's left edge after it (whole pixels), y the track's
   * centre line, tMs since the first press. Only ±1 and ±KEY_BIG_STEP moves: Home starts over
   * rather than jumping, and there is no End.
   */
  #key(e: KeyboardEvent): void {
    // Keys off: the handle stays focusable (Tab passes it on to the puzzle-free path) but does not move.
    if (!this.#enabled || !this.#keys || this.#drag !== undefined) return;
    let step: number;
    switch (e.key) {
      case 'ArrowRight': case 'ArrowUp': step = e.shiftKey ? KEY_BIG_STEP : 1; break;
      case 'ArrowLeft': case 'ArrowDown': step = e.shiftKey ? -KEY_BIG_STEP : -1; break;
      case 'PageUp': step = KEY_BIG_STEP; break;
      case 'PageDown': step = -KEY_BIG_STEP; break;
      case 'Home':
        e.preventDefault();
        this.#x = 0;
        this.#trajectory = [];
        this.#input = 'pointer';
        this.#layout();
        return;
      case 'Enter': case ' ':
        e.preventDefault();
        if (this.#input === 'keyboard' && this.#trajectory.length > 1) this.#submit();
        return;
      default: return;
    }
    e.preventDefault();
    this.#facts.k++;
    if (e.isTrusted) this.#facts.kt++;
    if (this.#input !== 'keyboard' || this.#trajectory.length === 0) {
      this.#input = 'keyboard';
      this.#trajectory = [];
      this.#startedAt = e.timeStamp;
      this.#recordKey(e.timeStamp);
    } else {
      const last = this.#trajectory[this.#trajectory.length - 1] as [number, number, number];
      if (this.#trajectory.length >= MAX_KEY_SAMPLES) return;
      if (e.repeat && e.timeStamp - this.#startedAt - last[2] < MIN_KEY_REPEAT_MS) return;
    }
    this.#x = Math.min(this.maxX, Math.max(0, Math.round(this.#x) + step));
    this.#layout();
    this.#recordKey(e.timeStamp);
  }

  #recordKey(timeStamp: number): void {
    if (this.#slide === undefined) return;
    // Keys move the piece along the track: y is the track's centre line (0) in every sample.
    this.#trajectory.push([Math.round(this.#x), 0, Math.max(0, Math.round(timeStamp - this.#startedAt))]);
  }

  #submit(): void {
    this.setEnabled(false);
    this.#onSubmit(Math.round(this.#x * 10) / 10, this.#trajectory, this.#input);
  }
}
