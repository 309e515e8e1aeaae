import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { SecretBox } from '@neonops/intents';

/** The API in `count` processes on one port (see `api-cluster.ts`): replicas sharing one Redis. */
export class ApiProcesses {
  private constructor(
    private readonly child: ChildProcess,
    /** `http://127.0.0.1:<port>/v1/intents` */
    readonly url: string,
  ) {}

  static async start(count: number, redisUrl: string, keyPrefix: string): Promise<ApiProcesses> {
    const bench = fileURLToPath(new URL('../..', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('../api-cluster.ts', import.meta.url))], {
      cwd: bench,
      env: { PATH: process.env.PATH ?? '', REDIS_URL: redisUrl, KEY_PREFIX: keyPrefix, SECRETS_KEY: SecretBox.generateKey(), API_PROCESSES: String(count) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const { url } = await ApiProcesses.next<{ url: string }>(child, 'ready');
    return new ApiProcesses(child, url);
  }

  private static async next<T>(child: ChildProcess, type: string): Promise<T> {
    for (;;) {
      const [message] = (await Promise.race([
        once(child, 'message'),
        once(child, 'exit').then(([code]) => {
          throw new Error(`bench api processes exited with ${String(code)}`);
        }),
      ])) as [{ type: string } & T];
      if (message.type === type) return message;
    }
  }

  /** CPU time of all the API processes so far (user + system, µs). */
  async cpu(): Promise<{ user: number; system: number }> {
    this.child.send({ type: 'usage' });
    return (await ApiProcesses.next<{ cpu: { user: number; system: number } }>(this.child, 'usage')).cpu;
  }

  async stop(): Promise<void> {
    const exited = once(this.child, 'exit');
    this.child.send({ type: 'stop' });
    await exited;
  }
}
