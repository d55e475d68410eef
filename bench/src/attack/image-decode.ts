import { Image, createCanvas } from '@napi-rs/canvas';

/** Decoded pixels, RGBA, row-major. */
export interface Rgba {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8ClampedArray;
}

/** Decodes a `data:image/...;base64,` URL (PNG, WebP, JPEG) to RGBA with @napi-rs/canvas. */
export function decodeDataUrl(url: string): Rgba {
  const comma = url.indexOf(',');
  if (!url.startsWith('data:image/') || comma < 0 || !url.slice(0, comma).endsWith(';base64')) {
    throw new Error(`expected a base64 data:image URL, got ${url.slice(0, 30)}...`);
  }
  const image = new Image();
  image.src = Buffer.from(url.slice(comma + 1), 'base64');
  const { width, height } = image;
  if (width === 0 || height === 0) throw new Error('image did not decode');
  const canvas = createCanvas(width, height);
  const ctx = canvas.getContext('2d');
  ctx.drawImage(image, 0, 0);
  return { width, height, data: ctx.getImageData(0, 0, width, height).data };
}

/** Luma (Rec. 601) of every pixel, 0-255. */
export function luma(img: Rgba): Float32Array {
  const out = new Float32Array(img.width * img.height);
  for (let i = 0, p = 0; i < out.length; i++, p += 4) {
    out[i] = 0.299 * (img.data[p] as number) + 0.587 * (img.data[p + 1] as number) + 0.114 * (img.data[p + 2] as number);
  }
  return out;
}
