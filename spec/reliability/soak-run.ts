import { parseArgs } from 'node:util';
import { formatReport, runSoak } from './chaos-soak.js';

/**
 * `npm run soak`: the long chaos soak. Prints the seed first, progress on stderr, the report on
 * stdout (with `--json`, one JSON line), and exits on its own: 0 when nothing was lost, duplicated
 * or leaked, 1 otherwise. A watchdog that does not keep the process alive reports (exit 3) if it
 * fails to exit after the report, since that means a socket or timer was left behind.
 *
 *   npm run soak -- --seed 42 --sessions 50 --duration 180
 *   --faults-per-second 8 --sends-per-second 40 --publishes-per-second 4 --settle 60 --json
 *   --no-resume-point   sessions take their position from the auth ack (resume.fromAck) instead of from: 0
 */
const { values } = parseArgs({
  options: {
    seed: { type: 'string' },
    sessions: { type: 'string', default: '50' },
    duration: { type: 'string', default: '180' },
    'faults-per-second': { type: 'string', default: '8' },
    'sends-per-second': { type: 'string', default: '40' },
    'publishes-per-second': { type: 'string', default: '4' },
    settle: { type: 'string', default: '60' },
    json: { type: 'boolean', default: false },
    'no-resume-point': { type: 'boolean', default: false },
  },
});

const number = (name: string, raw: string | undefined): number => {
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new TypeError(`--${name} must be a number >= 0, got ${String(raw)}`);
  return value;
};

const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Math.trunc(number('seed', values.seed));
process.stderr.write(`chaos soak seed ${seed} (replay the same fault schedule with --seed ${seed})\n`);

const report = await runSoak({
  seed,
  sessions: Math.max(1, Math.trunc(number('sessions', values.sessions))),
  durationMs: number('duration', values.duration) * 1000,
  faultsPerSecond: number('faults-per-second', values['faults-per-second']),
  sendsPerSecond: number('sends-per-second', values['sends-per-second']),
  publishesPerSecond: number('publishes-per-second', values['publishes-per-second']),
  settleMs: number('settle', values.settle) * 1000,
  resumeFromStart: !values['no-resume-point'],
  log: (line) => process.stderr.write(`${line}\n`),
});

process.stdout.write(values.json ? `${JSON.stringify(report)}\n` : `${formatReport(report)}\n`);
process.exitCode = report.ok ? 0 : 1;

const watchdog = setTimeout(() => {
  process.stderr.write(`did not exit 10 s after the report; still active: ${process.getActiveResourcesInfo().join(', ')}\n`);
  process.exit(3);
}, 10_000);
watchdog.unref();
