// The lazy per-request logger writes the same lines as an eager pino child, and only those.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { createLogger } from '../src/logger.js';
import { LazyRequestLogger } from '../src/request-logger.js';

function sinkLogger(level: string): { lines: string[]; logger: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  const sink = new Writable({ write(chunk: Buffer, _enc, cb) { lines.push(...chunk.toString().split('\n').filter(Boolean)); cb(); } });
  return { lines, logger: createLogger({ logLevel: level as 'warn' }, {}, sink) };
}

describe('LazyRequestLogger', () => {
  it('writes enabled levels with the request binding, skips the rest, and redacts', () => {
    const { lines, logger } = sinkLogger('warn');
    const log = new LazyRequestLogger(logger, { reqId: 'r-1' }, {});
    log.debug({ route: '/x' }, 'not written');
    log.info('not written either');
    assert.equal(lines.length, 0);
    assert.equal(log.isLevelEnabled('info'), false);
    assert.equal(log.level, 'warn');
    log.warn({ secret: 'hs_abcdefghijklmnopqrstuvwxyz' }, 'written');
    log.error('also written');
    assert.equal(lines.length, 2);
    const first = JSON.parse(lines[0] as string) as Record<string, unknown>;
    assert.equal(first.reqId, 'r-1');
    assert.equal(first.msg, 'written');
    assert.equal(first.secret, '<redacted>');
    assert.equal((JSON.parse(lines[1] as string) as Record<string, unknown>).reqId, 'r-1');
    assert.deepEqual(log.bindings(), { reqId: 'r-1' });
  });

  it('a level set on the request logger applies to it alone; children keep the binding', () => {
    const { lines, logger } = sinkLogger('warn');
    const log = new LazyRequestLogger(logger, { reqId: 'r-2' }, {});
    log.level = 'debug';
    log.debug('now written');
    log.child({ part: 'inner' }).warn('from a child');
    logger.debug('parent still at warn');
    assert.equal(lines.length, 2);
    const child = JSON.parse(lines[1] as string) as Record<string, unknown>;
    assert.equal(child.reqId, 'r-2');
    assert.equal(child.part, 'inner');
  });
});
