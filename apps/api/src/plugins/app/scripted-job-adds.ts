import type { IntentJobData, IntentJobOptions, IntentJobQueue, ScriptArg, ScriptedJobAdd } from '@neonops/intents';
import { Job, type Queue, type RedisClient } from 'bullmq';
// BullMQ's own adding script, as BullMQ runs it (its Lua text and number of keys); it takes 3 arguments.
import { addStandardJob } from 'bullmq/dist/esm/scripts/addStandardJob-9.js';

const ADD_STANDARD_JOB = { name: addStandardJob.name, lua: addStandardJob.content, numberOfKeys: addStandardJob.keys, numberOfArgs: 3 };

/**
 * The intents queue as the submitter uses it, with its adds written as scripts: the create
 * script stores the intent and adds its job in one round trip (`IntentStore.createClaiming`
 * with `job`), where `queue.add` after the create was a second one. The job is BullMQ's own:
 * BullMQ's `Job` builds the add (its options packed as BullMQ packs them) and hands it to a
 * client that only records the command, and the create runs BullMQ's `addStandardJob` script
 * with exactly those keys and arguments. An add BullMQ would write with another script (a
 * delay, a priority, a parent) or a BullMQ whose adding script changed shape is not written
 * this way (`scripted` answers `undefined`): the submitter then calls `queue.add` after the
 * create, as it always did. A test checks that the installed BullMQ takes the scripted path.
 */
export function withScriptedAdds(queue: Queue<IntentJobData>): IntentJobQueue {
  return {
    add: (name, data, options) => queue.add(name, data, options),
    scripted: (name, data, options) => scriptedJobAdd(queue, name, data, options),
  };
}

/** The keys and arguments BullMQ would run `addStandardJob` with for this job, or `undefined` (another script). */
export async function scriptedJobAdd(queue: Queue<IntentJobData>, name: string, data: IntentJobData, options: IntentJobOptions): Promise<ScriptedJobAdd | undefined> {
  const opts = { ...queue.defaultJobOptions, ...options };
  const job = new Job(queue, name, data, opts, opts.jobId);
  let recorded: { command: string; args: ScriptArg[] } | undefined;
  const recorder = {
    runCommand(command: string, args: ScriptArg[]) {
      recorded = { command, args };
      return Promise.resolve(opts.jobId);
    },
  };
  await job.addJob(recorder as unknown as RedisClient, { parentKey: undefined, parentDependenciesKey: '' });
  const { numberOfKeys, numberOfArgs } = ADD_STANDARD_JOB;
  // BullMQ names the command `<script>:<version>`.
  if (!recorded || recorded.command.split(':')[0] !== ADD_STANDARD_JOB.name || recorded.args.length !== numberOfKeys + numberOfArgs) return undefined;
  return { script: ADD_STANDARD_JOB, keys: recorded.args.slice(0, numberOfKeys).map(String), args: recorded.args.slice(numberOfKeys) };
}
