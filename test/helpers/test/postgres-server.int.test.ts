import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import pg from 'pg';
import { pidAlive, startPostgres } from '../src/index.js';

test('PostgreSQL starts, answers select 1, creates databases, restarts, cleans up', async (t) => {
  const server = await startPostgres();
  t.after(() => server.stop());
  assert.equal(server.url, `postgres://postgres@127.0.0.1:${server.port}/postgres`);

  const client = new pg.Client({ connectionString: server.url });
  await client.connect();
  const { rows } = await client.query<{ one: number }>('select 1 as one');
  await client.end();
  assert.deepEqual(rows, [{ one: 1 }]);

  const url = await server.createDatabase('hurdle_test');
  assert.equal(url, `postgres://postgres@127.0.0.1:${server.port}/hurdle_test`);
  const other = new pg.Client({ connectionString: url });
  await other.connect();
  await other.query('create table t (v text)');
  await other.query("insert into t values ('kept')");
  await other.end();
  await assert.rejects(server.createDatabase('bad name'), RangeError);

  await server.restart();
  const again = new pg.Client({ connectionString: url });
  await again.connect();
  assert.deepEqual((await again.query('select v from t')).rows, [{ v: 'kept' }]);
  await again.end();

  const { pid, dir } = server;
  await server.stop();
  assert.equal(pidAlive(pid!), false);
  assert.equal(existsSync(dir), false);
});
