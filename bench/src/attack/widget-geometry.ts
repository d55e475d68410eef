/**
 * Where the real widget puts things, in background-image pixels: the frame its recorded
 * trajectories use. The widget is 320 CSS px wide with a 1 px border and 10 px padding, so
 * the stage (the background) is 298 CSS px wide; below it, 8 px down, a 40 px high track
 * with a 48 px wide handle. A trajectory sample's x is the piece's left edge (the pointer's
 * travel scaled by maxX / handle travel), y the pointer's offset from the track's centre line
 * (the service's documented frame), both in background px.
 */
export interface WidgetGeometry {
  /** CSS px per background px. */
  readonly scale: number;
  /** Largest piece x, background px. */
  readonly maxX: number;
  /** Pointer y at the handle's centre: 0, the track's centre line. */
  readonly handleY: number;
  /** Piece px per CSS px of pointer travel. */
  readonly piecePerPointerPx: number;
}

const STAGE_CSS_PX = 298;
const HANDLE_WIDTH_CSS_PX = 48;

export function widgetGeometry(slide: { readonly width: number; readonly height: number; readonly pieceWidth: number }): WidgetGeometry {
  const scale = STAGE_CSS_PX / slide.width;
  const maxX = Math.max(0, slide.width - slide.pieceWidth);
  return { scale, maxX, handleY: 0, piecePerPointerPx: maxX / (STAGE_CSS_PX - HANDLE_WIDTH_CSS_PX) };
}
