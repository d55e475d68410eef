import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';

import type { RingAgentEvent, RingAgentOptions } from '../src/index.js';

/** Options a forked agent accepts (functions cannot cross the process boundary). */
export type AgentProcessOptions = Omit<RingAgentOptions, 'onEvent'>;

/** A ring agent running as a real child process (test/fixtures/agent-process.ts). */
export interface AgentProcess {
  readonly child: ChildProcess;
  readonly events: RingAgentEvent[];
  /** Asks the agent to stop (removes its znode) and waits for the process to exit. */
  stop(): Promise<void>;
  /** SIGKILLs the agent process. */
  kill(): Promise<void>;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Forks an agent process and resolves once it has started (or rejects with its error). */
export function forkAgent(options: AgentProcessOptions, startTimeoutMs = 15_000): Promise<AgentProcess> {
  const child = fork(new URL('./fixtures/agent-process.js', import.meta.url), [JSON.stringify(options)], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const events: RingAgentEvent[] = [];
  const handle: AgentProcess = {
    child,
    events,
    async stop() {
      if (child.connected) child.send('stop');
      const t = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited(child);
      clearTimeout(t);
    },
    async kill() {
      child.kill('SIGKILL');
      await exited(child);
    },
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`agent ${options.id} did not start within ${startTimeoutMs} ms`));
    }, startTimeoutMs);
    child.on('message', (m: { type?: string; event?: RingAgentEvent; message?: string }) => {
      if (m.event) events.push(m.event);
      if (m.type === 'started') {
        clearTimeout(timer);
        resolve(handle);
      } else if (m.type === 'failed') {
        clearTimeout(timer);
        reject(new Error(`agent ${options.id} failed to start: ${m.message ?? ''}`));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`agent ${options.id} exited with ${String(code)} before starting`));
    });
  });
}
