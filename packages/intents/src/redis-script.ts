import { readFileSync } from 'node:fs';
import { assertOneSlot } from '@neonops/redis';
import type { Redis } from 'ioredis';

type ScriptArg = string | number | Buffer;
type ScriptCommand = (...args: ScriptArg[]) => Promise<unknown>;

let counter = 0;

/**
 * One Lua script kept in its own file, named `<name>-<numberOfKeys>.lua` as BullMQ names
 * its `src/commands/*.lua`. The file is read once; the script is defined on a connection
 * (ioredis `defineCommand`: EVALSHA, falling back to EVAL after a `NOSCRIPT`) the first
 * time it runs there, so every connection loads it at most once.
 *
 * ```ts
 * const finish = RedisScript.load(new URL('./commands/finish-4.lua', import.meta.url));
 * await finish.run(redis, [k1, k2, k3, k4], [arg1, arg2]);
 * ```
 */
export class RedisScript {
  /** The name under which the command is defined on each connection (unique per script). */
  readonly command: string;
  private readonly defined = new WeakSet<Redis>();

  private constructor(
    readonly name: string,
    readonly numberOfKeys: number,
    readonly lua: string,
  ) {
    this.command = `neonops_${name.replace(/[^A-Za-z0-9]/g, '_')}_${++counter}`;
  }

  /**
   * Reads `<name>-<N>.lua`; N, the number of keys, comes from the file name. A line
   * `--- @include "<name>"` is replaced by `includes/<name>.lua` beside the file (as BullMQ
   * shares checks between its scripts), so a check written once reads the same everywhere.
   */
  static load(file: URL): RedisScript {
    const base = file.pathname.split('/').pop() ?? '';
    const match = /^(.+)-(\d+)\.lua$/.exec(base);
    if (!match?.[1] || match[2] === undefined) throw new Error(`A script file is named <name>-<numberOfKeys>.lua, not ${base}`);
    const lua = readFileSync(file, 'utf8').replace(/^--- @include "([\w-]+)"$/gm, (_, name: string) =>
      readFileSync(new URL(`includes/${name}.lua`, file), 'utf8').trimEnd(),
    );
    return new RedisScript(match[1], Number(match[2]), lua);
  }

  /** Runs the script on `redis` (a connection or a pipeline's parent) with its keys and arguments. */
  run(redis: Redis, keys: readonly string[], args: readonly ScriptArg[] = []): Promise<unknown> {
    if (keys.length !== this.numberOfKeys) throw new Error(`${this.name} takes ${this.numberOfKeys} keys, got ${keys.length}`);
    // What a Redis Cluster would refuse fails here on one Redis too (see keyspace.ts).
    assertOneSlot(this.name, keys);
    if (!this.defined.has(redis)) {
      redis.defineCommand(this.command, { numberOfKeys: this.numberOfKeys, lua: this.lua });
      this.defined.add(redis);
      addToPendingAutoPipelines(redis, this.command);
    }
    const command = (redis as unknown as Record<string, ScriptCommand>)[this.command];
    if (!command) throw new Error(`script ${this.name} is not defined on this connection`);
    return command.call(redis, ...keys, ...args);
  }
}

/** The parts of ioredis's internals that an auto-pipelining connection's pending batches are made of. */
interface AutoPipelineInternals {
  scriptsSet?: Record<string, { sha: string }>;
  _autoPipelines?: Map<string, Record<string, unknown> & { _shaToScript?: Record<string, unknown> }>;
}

/**
 * With `enableAutoPipelining`, ioredis gathers a tick's commands into a pipeline made when
 * the first of them came, copying the connection's custom commands at that moment. A command
 * defined afterwards and run in the same tick joins that batch, which lacks it: the call
 * throws inside ioredis and the batch's answer then has one reply too few, an uncaught
 * `TypeError: results[i] is not iterable` that ends the process (redis/ioredis#1931). So a
 * command defined here is also given to the batches still pending, as ioredis's `Pipeline`
 * constructor gives it to new ones (the method and its script by SHA, for `NOSCRIPT`).
 */
function addToPendingAutoPipelines(redis: Redis, command: string): void {
  const internals = redis as unknown as AutoPipelineInternals & Record<string, unknown>;
  const pending = internals._autoPipelines;
  if (!pending || pending.size === 0) return;
  const script = internals.scriptsSet?.[command];
  for (const pipeline of pending.values()) {
    pipeline[command] = internals[command];
    pipeline[`${command}Buffer`] = internals[`${command}Buffer`];
    if (script && pipeline._shaToScript) pipeline._shaToScript[script.sha] = script;
  }
}
