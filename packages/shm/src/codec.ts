import { Packr, Unpackr } from 'msgpackr';
import { ShmError } from './errors.js';

/** How values are turned into bytes in the segment. */
export type CodecName = 'msgpack' | 'json' | 'string' | 'bytes';

/** The JavaScript value type a codec stores and returns. */
export type CodecValue<C extends CodecName> = C extends 'string' ? string : C extends 'bytes' ? Uint8Array : unknown;

export interface Codec {
  readonly name: CodecName;
  readonly id: number;
  /** Encode; the result must stay valid until the next encode call of a batch (it is copied). */
  encode(value: unknown): Uint8Array;
  /** Decode `buf[start, end)`; `buf` views the shared segment, so copy anything retained. */
  decode(buf: Buffer, start: number, end: number): unknown;
  /** The value a counter entry reads back as. */
  fromNumber(n: number): unknown;
  /** A stored value as a number for `incr`, or NaN. */
  toNumber(value: unknown): number;
}

const packr = new Packr({ useRecords: false, moreTypes: false });
const unpackr = new Unpackr({ useRecords: false, copyBuffers: true });
let scratch = Buffer.allocUnsafeSlow(4096);

function invalid(codec: CodecName, what: string): ShmError {
  return new ShmError('SHM_ERR_INVALID_VALUE', `codec '${codec}' cannot store ${what}`);
}

function numeric(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value)) return Number(value);
  return Number.NaN;
}

const msgpack: Codec = {
  name: 'msgpack',
  id: 0,
  encode(value) {
    if (value === undefined) throw invalid('msgpack', 'undefined');
    try {
      return packr.pack(value);
    } catch (err) {
      throw new ShmError('SHM_ERR_INVALID_VALUE', `codec 'msgpack' cannot encode the value: ${(err as Error).message}`);
    }
  },
  decode(buf, start, end) {
    // Decode from a private copy: msgpackr's native string extraction cannot
    // read a SharedArrayBuffer (it fails, slowly, on every call), and a copy
    // means a torn read never reaches the decoder's allocations.
    const len = end - start;
    if (scratch.length < len) scratch = Buffer.allocUnsafeSlow(Math.max(len, scratch.length * 2));
    // A fresh view + set is the cheapest copy out of a SharedArrayBuffer (Buffer#copy costs more).
    scratch.set(new Uint8Array(buf.buffer, buf.byteOffset + start, len));
    return unpackr.unpack(scratch, { start: 0, end: len });
  },
  fromNumber: (n) => n,
  toNumber: numeric,
};

const json: Codec = {
  name: 'json',
  id: 1,
  encode(value) {
    let text: string | undefined;
    try {
      text = JSON.stringify(value);
    } catch (err) {
      throw new ShmError('SHM_ERR_INVALID_VALUE', `codec 'json' cannot encode the value: ${(err as Error).message}`);
    }
    if (text === undefined) throw invalid('json', typeof value);
    return Buffer.from(text, 'utf8');
  },
  decode(buf, start, end) {
    return JSON.parse(buf.toString('utf8', start, end)) as unknown;
  },
  fromNumber: (n) => n,
  toNumber: numeric,
};

const string: Codec = {
  name: 'string',
  id: 2,
  encode(value) {
    if (typeof value !== 'string') throw invalid('string', typeof value);
    return Buffer.from(value, 'utf8');
  },
  decode(buf, start, end) {
    return buf.toString('utf8', start, end);
  },
  fromNumber: (n) => String(n),
  toNumber: numeric,
};

const bytes: Codec = {
  name: 'bytes',
  id: 3,
  encode(value) {
    if (!(value instanceof Uint8Array)) throw invalid('bytes', typeof value);
    return value;
  },
  decode(buf, start, end) {
    return new Uint8Array(buf.subarray(start, end));
  },
  fromNumber: (n) => Buffer.from(String(n), 'utf8'),
  toNumber: (value) => (value instanceof Uint8Array ? numeric(Buffer.from(value).toString('utf8')) : Number.NaN),
};

export const CODEC_BY_NAME: Readonly<Record<CodecName, Codec>> = { msgpack, json, string, bytes };
export const CODEC_BY_ID: readonly Codec[] = [msgpack, json, string, bytes];
