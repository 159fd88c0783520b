/**
 * A client process entry (forked by bench/harness.ts, one fresh process per measurement): the task
 * comes as JSON in argv[2]; the result goes back over IPC as `{ type: 'result', result }`, then
 * the process exits. Without IPC it prints the result (for `node --cpu-prof` by hand).
 */
import { runTask, type ClientTask } from './client.js';

const task = JSON.parse(process.argv[2] ?? '{}') as ClientTask;
const result = await runTask(task, (message) => process.send?.(message));
if (process.send) {
  process.send({ type: 'result', result }, undefined, {}, () => process.exit(0));
} else {
  console.log(JSON.stringify(result));
  process.exit(0);
}
