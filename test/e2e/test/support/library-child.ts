// Child process that runs server libraries with a hard-coded vendor host (started with the
// DNS preload and the proxy's certificate trusted; see vendor-hosts.ts). Reads one JSON job
// `{ keys, runs: [{ library, token }] }` from stdin, verifies the tokens one after another in
// the given order (so a reuse comes after the first use), and prints `{ outcomes }`.
import { libraryNamed, type Keys, type Outcome } from './server-libraries.js';

interface Job { keys: Keys; runs: { library: string; token: string }[] }

async function main(): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const job = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Job;
  const outcomes: Outcome[] = [];
  for (const run of job.runs) {
    try {
      outcomes.push(await libraryNamed(run.library).verify(job.keys, run.token));
    } catch (err) {
      outcomes.push({ accepted: false, detail: `threw: ${String(err)}` });
    }
  }
  process.stdout.write(JSON.stringify({ outcomes }));
}

await main();
