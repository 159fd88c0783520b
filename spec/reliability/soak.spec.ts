import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { SoakReport } from './chaos-soak.js';

const RUNNER = fileURLToPath(new URL('./soak-run.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SEED = 1;

/**
 * The short chaos soak, in its own process so that "exits on its own" is tested for real: a socket
 * or timer left behind would keep it alive until the kill below, and the test would fail.
 */
describe('chaos soak (short version of npm run soak)', function () {
  this.timeout(150_000);

  it('10 sessions, 15 s of faults of every kind: every message accepted once and in order, every publish delivered once, no unhandled error, nothing left open, and the process exits by itself', async () => {
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [
          '--import',
          'tsx',
          RUNNER,
          '--seed',
          String(SEED),
          '--sessions',
          '10',
          '--duration',
          '15',
          '--faults-per-second',
          '4',
          '--sends-per-second',
          '20',
          '--publishes-per-second',
          '3',
          '--settle',
          '40',
          '--json',
        ],
        { cwd: ROOT, timeout: 120_000, killSignal: 'SIGKILL' },
        (error, out, err) => resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, stdout: out, stderr: err }),
      );
    });
    expect(stderr).to.include(`chaos soak seed ${SEED}`);
    const lastLine = stdout.trim().split('\n').pop() ?? '';
    const report = JSON.parse(lastLine) as SoakReport;
    const summary = { ...report, faults: undefined, connectionFaults: undefined };
    expect(report.problems, JSON.stringify(summary)).to.deep.equal([]);
    expect({
      lost: report.lost,
      duplicated: report.duplicated,
      outOfOrderSessions: report.outOfOrderSessions,
      sendFailures: report.sendFailures,
      missedDeliveries: report.missedDeliveries,
      duplicateDeliveries: report.duplicateDeliveries,
      outOfOrderDeliveries: report.outOfOrderDeliveries,
      fatalSessions: report.fatalSessions,
      unhandledRejections: report.unhandledRejections,
      uncaughtExceptions: report.uncaughtExceptions,
      leakedResources: report.leakedResources,
    }).to.deep.equal({
      lost: 0,
      duplicated: 0,
      outOfOrderSessions: 0,
      sendFailures: 0,
      missedDeliveries: 0,
      duplicateDeliveries: 0,
      outOfOrderDeliveries: 0,
      fatalSessions: [],
      unhandledRejections: [],
      uncaughtExceptions: [],
      leakedResources: [],
    });
    // The soak did real work: faults of every kind, messages both ways, reconnects and re-auths.
    expect(Object.values(report.faults).every((count) => count > 0)).to.equal(true);
    expect(report.faultEvents).to.be.at.least(50);
    expect(report.sent).to.be.at.least(100);
    expect(report.acknowledged).to.equal(report.sent);
    expect(report.delivered).to.equal(report.published * report.sessions);
    expect(report.reconnects).to.be.greaterThan(10);
    expect(report.reauths).to.be.greaterThan(0);
    expect(report.ok).to.equal(true);
    expect(code).to.equal(0);
  });
});
