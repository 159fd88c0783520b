import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { TestScheduler } from 'rxjs/testing';
import { WebSocket } from 'ws';
import { HELP, parseProbeArgs, runCli, USAGE_ERROR, type CliIo } from '../../lib/cli/cli.js';
import { fillTemplate, probe, type ProbeOptions, type ProbeVerdict } from '../../lib/cli/probe.js';
import { scriptedWebSocket, serverFrame, serverOpen, type ScriptedWebSocket } from '../../lib/testing/scripted-web-socket.js';
import { ReferenceGateway } from '../../lib/testing/reference-gateway.js';
import type { WebSocketCtor } from '../../lib/web-socket-like.js';
import { observableMatcher } from '../helpers/observable-matcher.js';

const Ctor = WebSocket as unknown as WebSocketCtor;
const AUTH = '{"type":"auth","token":"{{token}}"}';

/** A stdout that keeps what is written. */
function capture(isTTY = false) {
  const chunks: string[] = [];
  return { write: (chunk: string) => chunks.push(chunk), isTTY, text: () => chunks.join(''), chunks };
}

function cliIo(env: Record<string, string>) {
  const stdout = capture();
  const stderr = capture();
  const io: CliIo = { stdout, stderr, env, WebSocketCtor: Ctor };
  return { io, stdout, stderr };
}

/** The options a command line (after `probe`) stands for. */
function probeArgs(args: string[]): ProbeOptions {
  const options = parseProbeArgs(args);
  if (options === 'help') throw new Error('unexpected --help');
  return options;
}

type JsonLine = { at?: number; event: string; direction?: string; data?: string; ok?: boolean; exitCode?: number };

function jsonLines(text: string): JsonLine[] {
  return text
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line) as JsonLine);
}

describe('probe CLI', function () {
  this.timeout(20_000);

  describe('against the reference gateway (real ws on 127.0.0.1)', () => {
    let gateway: ReferenceGateway;
    let token: string;
    beforeEach(async () => {
      gateway = await ReferenceGateway.start({ authTimeout: 2_000 });
      token = gateway.issueToken();
    });
    afterEach(() => gateway.close());

    it('reaches ready with a good token, prints the timeline and the verdict, exits 0, never prints the token', async () => {
      const { io, stdout } = cliIo({ PROBE_TOKEN: token });
      const code = await runCli(['probe', gateway.url, '--auth', AUTH, '--token-env', 'PROBE_TOKEN', '--ack', '{"type":"auth_ok"}'], io);
      const text = stdout.text();
      expect(code).to.equal(0);
      const events = text
        .split('\n')
        .map((line) => /^\s*\d+ ms {2}(\S+(?: \S+)?)/.exec(line)?.[1])
        .filter(Boolean);
      expect(events).to.deep.equal(['connecting', 'authenticating', '→ out', '← in', 'ready', 'close']);
      expect(text).to.include('→ out           {"type":"auth","token":"***"}');
      expect(text).to.match(/\nOK: authenticated in \d+ ms\.\n$/);
      expect(text).to.not.include(token);
      expect(gateway.events.map((event) => event.kind)).to.include('auth_ok');
    });

    it('diagnoses the silent close 1000 a wrong auth schema gets, exits 1, never prints the token', async () => {
      const { io, stdout } = cliIo({ PROBE_TOKEN: token });
      const code = await runCli(['probe', gateway.url, '--auth', '{"type":"auth","jwt":"{{token}}"}', '--token-env', 'PROBE_TOKEN'], io);
      const text = stdout.text();
      expect(code).to.equal(1);
      expect(text).to.include('closed          1000, no reason, clean');
      expect(text).to.match(
        /FAILED while authenticating: the server closed the connection \(1000, no reason\) \d+ ms after the auth frame and before any ack: it most likely rejected the auth payload \(schema, token or scopes\)\. Check: the auth frame's shape and field names \(--auth\)/,
      );
      expect(text).to.include('$PROBE_TOKEN');
      expect(text).to.not.include(token);
    });

    it('says which frames arrived when none matched --ack', async () => {
      const { io, stdout } = cliIo({ PROBE_TOKEN: token });
      const code = await runCli(
        ['probe', gateway.url, '--auth', AUTH, '--token-env', 'PROBE_TOKEN', '--ack', '{"type":"welcome"}', '--timeout', '300'],
        io,
      );
      expect(code).to.equal(1);
      expect(stdout.text()).to.include('← in            {"type":"auth_ok"');
      expect(stdout.text()).to.include('Check: --ack: the server sent 1 frame(s) after the auth frame and none matched it');
    });

    it('pings and prints the pongs in JSON lines until interrupted', async () => {
      // Waits for the first pong itself rather than a --duration window: the counts and times of
      // pings over --duration are checked in virtual time below.
      const { io: baseIo, stdout } = cliIo({ PROBE_TOKEN: token });
      const aborter = new AbortController();
      const output = {
        ...stdout,
        write: (chunk: string) => {
          stdout.write(chunk);
          if (chunk.includes('"direction":"in"') && chunk.includes('{\\"type\\":\\"pong\\"}')) setImmediate(() => aborter.abort());
        },
      };
      const io: CliIo = { ...baseIo, stdout: output, signal: aborter.signal };
      const code = await runCli(
        [
          'probe',
          gateway.url,
          '--auth',
          AUTH,
          '--token-env',
          'PROBE_TOKEN',
          '--ack',
          '{"type":"auth_ok"}',
          '--ping',
          '{"type":"ping"}',
          '--pong',
          '{"type":"pong"}',
          '--interval',
          '50',
          '--duration',
          '10000',
          '--json',
        ],
        io,
      );
      expect(code).to.equal(1);
      const lines = jsonLines(stdout.text());
      const firstPing = lines.findIndex((line) => line.event === 'frame' && line.direction === 'out' && line.data === '{"type":"ping"}');
      const firstPong = lines.findIndex((line) => line.event === 'frame' && line.direction === 'in' && line.data === '{"type":"pong"}');
      expect(firstPing, 'a ping').to.be.greaterThan(-1);
      expect(firstPong, 'a pong after it').to.be.greaterThan(firstPing);
      expect(lines.at(-1)).to.deep.include({
        event: 'verdict',
        ok: false,
        exitCode: 1,
        phase: 'ready',
        summary: 'INTERRUPTED while ready.',
      });
      expect(stdout.text()).to.not.include(token);
    });

    it('cuts frames longer than --max-frame', async () => {
      const { io, stdout } = cliIo({ PROBE_TOKEN: token });
      await runCli(
        ['probe', gateway.url, '--auth', AUTH, '--token-env', 'PROBE_TOKEN', '--ack', '{"type":"auth_ok"}', '--max-frame', '20'],
        io,
      );
      expect(stdout.text()).to.match(/← in {12}\{"type":"auth_ok","s… \(\d+ chars, cut at --max-frame 20\)/);
    });

    it('speaks a protocol preset (--preset generic-json) with the token from --token-env', async () => {
      const { io, stdout } = cliIo({ PROBE_TOKEN: token });
      const code = await runCli(
        ['probe', gateway.url, '--preset', 'generic-json', '--token-env', 'PROBE_TOKEN', '--opt', 'pingInterval=50', '--duration', '120'],
        io,
      );
      const text = stdout.text();
      expect(code, text).to.equal(0);
      expect(text).to.include('with the generic-json preset');
      expect(text).to.include('→ out           {"type":"auth","token":"***"}');
      // Its pings (--opt pingInterval) are checked in virtual time below: 120 ms of a real clock prove nothing.
      expect(text).to.not.include(token);
    });

    it('runs as the package bin (lib/cli/main.ts) and exits with the verdict', async () => {
      const tsx = createRequire(import.meta.url).resolve('tsx/cli');
      const result = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
        const child = execFile(
          process.execPath,
          [tsx, 'lib/cli/main.ts', 'probe', gateway.url, '--auth', AUTH, '--token-env', 'PROBE_TOKEN', '--ack', '{"type":"auth_ok"}'],
          { env: { ...process.env, PROBE_TOKEN: token }, timeout: 15_000 },
          (_error, stdout) => resolve({ code: child.exitCode, stdout }),
        );
      });
      expect(result.code).to.equal(0);
      expect(result.stdout).to.include('OK: authenticated');
      expect(result.stdout).to.not.include(token);
    });
  });

  describe('in virtual time (scripted socket)', () => {
    let testScheduler: TestScheduler;
    beforeEach(() => {
      testScheduler = new TestScheduler(observableMatcher);
    });

    it('redacts a token with characters JSON escapes, in frames and everywhere else', async () => {
      const secret = 'se"cr\\et-9f3';
      const stdout = capture();
      let verdict: Promise<ProbeVerdict> | undefined;
      testScheduler.run(({ cold }) => {
        const { WebSocketCtor } = scriptedWebSocket(testScheduler, () =>
          cold('-o-a', { o: serverOpen(), a: serverFrame({ type: 'auth_ok', echo: secret }) }),
        );
        verdict = probe(
          {
            url: `ws://gateway.localhost/?t=${encodeURIComponent(secret)}`,
            auth: { type: 'auth', token: '{{token}}' },
            tokenEnv: 'T',
            ack: { type: 'auth_ok' },
          },
          { stdout, env: { T: secret }, WebSocketCtor, scheduler: testScheduler },
        );
      });
      expect((await verdict!).ok).to.equal(true);
      expect(stdout.text()).to.include('{"type":"auth","token":"***"}');
      expect(stdout.text()).to.include('{"type":"auth_ok","echo":"***"}');
      expect(stdout.text()).to.include('ws://gateway.localhost/?t=***');
      expect(stdout.text()).to.not.include('cr\\\\et').and.not.include('cr\\et');
    });

    it('shows a countdown while waiting for the ack on a terminal, and plain lines otherwise', async () => {
      const run = async (isTTY: boolean) => {
        const stdout = capture(isTTY);
        let verdict: Promise<ProbeVerdict> | undefined;
        testScheduler = new TestScheduler(observableMatcher);
        testScheduler.run(({ cold }) => {
          const { WebSocketCtor } = scriptedWebSocket(testScheduler, () => cold('-o', { o: serverOpen() }));
          verdict = probe(
            { url: 'ws://gateway.localhost', auth: { type: 'auth' }, ack: { type: 'auth_ok' }, timeout: 1000 },
            { stdout, env: {}, WebSocketCtor, scheduler: testScheduler },
          );
        });
        return { verdict: await verdict!, stdout };
      };
      const terminal = await run(true);
      expect(terminal.verdict.exitCode).to.equal(1);
      const countdown = terminal.stdout.chunks.filter((chunk) => chunk.startsWith('\r\x1b[2Kwaiting for ack'));
      expect(countdown[0]).to.equal('\r\x1b[2Kwaiting for ack… 1 s left');
      expect(countdown).to.include('\r\x1b[2Kwaiting for ack… 0.5 s left');
      expect(countdown.length).to.be.within(10, 12);

      const pipe = await run(false);
      expect(pipe.stdout.text()).to.not.include('\r').and.not.include('\x1b');
      expect(pipe.stdout.text()).to.include('authenticating  open; waiting up to 1 s for the ack');
      expect(pipe.verdict.summary).to.match(/^FAILED while authenticating: no auth ack within 1000 ms/);
    });

    it('pings every --interval once ready, prints each pong and watches for --duration, in JSON lines', async () => {
      const options = probeArgs([
        'ws://gateway.localhost',
        '--auth',
        AUTH,
        '--token-env',
        'PROBE_TOKEN',
        '--ack',
        '{"type":"auth_ok"}',
        '--ping',
        '{"type":"ping"}',
        '--pong',
        '{"type":"pong"}',
        '--interval',
        '50',
        '--duration',
        '180',
        '--json',
      ]);
      const stdout = capture();
      let verdict: Promise<ProbeVerdict> | undefined;
      let sockets: ScriptedWebSocket[] = [];
      testScheduler.run(({ cold }) => {
        // open at 1, ack at 3 (ready), then a pong 1 ms after each ping (53, 103, 153)
        const scripted = scriptedWebSocket(testScheduler, () =>
          cold('-o-a 50ms p 49ms p 49ms p', { o: serverOpen(), a: serverFrame({ type: 'auth_ok' }), p: serverFrame({ type: 'pong' }) }),
        );
        sockets = scripted.sockets;
        verdict = probe(options, {
          stdout,
          env: { PROBE_TOKEN: 'tok-1' },
          WebSocketCtor: scripted.WebSocketCtor,
          scheduler: testScheduler,
        });
      });
      expect(await verdict!).to.deep.include({ ok: true, exitCode: 0, phase: 'ready', readyAfterMs: 3 });
      const lines = jsonLines(stdout.text());
      const pingPong = lines
        .filter((line) => line.event === 'frame' && line.data !== undefined && /"(ping|pong)"/.test(line.data))
        .map((line) => [line.at, line.direction, line.data]);
      expect(pingPong).to.deep.equal([
        [53, 'out', '{"type":"ping"}'],
        [54, 'in', '{"type":"pong"}'],
        [103, 'out', '{"type":"ping"}'],
        [104, 'in', '{"type":"pong"}'],
        [153, 'out', '{"type":"ping"}'],
        [154, 'in', '{"type":"pong"}'],
      ]);
      // --duration counts from ready (3): the probe closes at 183.
      expect(sockets[0]!.closedByClient).to.deep.include({ at: 183, code: 1000 });
      expect(lines.at(-1)).to.deep.include({
        at: 183,
        event: 'verdict',
        ok: true,
        exitCode: 0,
        phase: 'ready',
        summary: 'OK: authenticated in 3 ms, and the connection stayed up for the 180 ms watched.',
      });
      expect(stdout.text()).to.not.include('tok-1');
    });

    it("pings at a preset's --opt pingInterval (--preset generic-json)", async () => {
      const options = probeArgs([
        'ws://gateway.localhost',
        '--preset',
        'generic-json',
        '--token-env',
        'PROBE_TOKEN',
        '--opt',
        'pingInterval=50',
        '--duration',
        '120',
      ]);
      const stdout = capture();
      let verdict: Promise<ProbeVerdict> | undefined;
      let sockets: ScriptedWebSocket[] = [];
      testScheduler.run(({ cold }) => {
        const scripted = scriptedWebSocket(testScheduler, () => cold('-o-a', { o: serverOpen(), a: serverFrame({ type: 'auth_ok' }) }));
        sockets = scripted.sockets;
        verdict = probe(options, {
          stdout,
          env: { PROBE_TOKEN: 'tok-1' },
          WebSocketCtor: scripted.WebSocketCtor,
          scheduler: testScheduler,
        });
      });
      expect((await verdict!).ok).to.equal(true);
      expect(sockets[0]!.sent).to.deep.equal([
        { at: 1, data: '{"type":"auth","token":"tok-1"}' },
        { at: 53, data: '{"type":"ping"}' },
        { at: 103, data: '{"type":"ping"}' },
      ]);
      expect(stdout.text()).to.include('    53 ms  → out           {"type":"ping"}');
      expect(stdout.text()).to.not.include('tok-1');
    });

    it('without --auth, succeeds once the socket opens', async () => {
      const stdout = capture();
      let verdict: Promise<ProbeVerdict> | undefined;
      testScheduler.run(({ cold }) => {
        const { WebSocketCtor } = scriptedWebSocket(testScheduler, () => cold('--o', { o: serverOpen() }));
        verdict = probe({ url: 'ws://gateway.localhost' }, { stdout, env: {}, WebSocketCtor, scheduler: testScheduler });
      });
      expect(await verdict!).to.deep.equal({ ok: true, exitCode: 0, phase: 'ready', readyAfterMs: 2, summary: 'OK: connected in 2 ms.' });
    });

    it('stops on abort (Ctrl-C) with an INTERRUPTED verdict and exit code 1', async () => {
      const stdout = capture();
      const aborter = new AbortController();
      let verdict: Promise<ProbeVerdict> | undefined;
      testScheduler.run(({ cold }) => {
        const { WebSocketCtor } = scriptedWebSocket(testScheduler, () => cold('-o', { o: serverOpen() }));
        verdict = probe(
          { url: 'ws://gateway.localhost', auth: { type: 'auth' }, timeout: 1000 },
          { stdout, env: {}, WebSocketCtor, scheduler: testScheduler, signal: aborter.signal },
        );
        testScheduler.schedule(() => aborter.abort(), 5);
      });
      expect(await verdict!).to.deep.include({
        ok: false,
        exitCode: 1,
        phase: 'authenticating',
        summary: 'INTERRUPTED while authenticating, before the session was ready.',
      });
    });
  });

  describe('command line', () => {
    it('documents every option in --help and exits 0', async () => {
      const { io, stdout } = cliIo({});
      expect(await runCli(['probe', '--help'], io)).to.equal(0);
      for (const option of [
        '--auth',
        '--token-env',
        '--ack',
        '--reject',
        '--ping',
        '--pong',
        '--interval',
        '--timeout',
        '--duration',
        '--retries',
        '--subprotocol',
        '--max-frame',
        '--json',
        '--allow-insecure',
        '--preset',
        '--opt',
        '--help',
        'generic-json',
        'graphql-ws',
      ]) {
        expect(stdout.text(), option).to.include(option);
      }
      expect(await runCli(['--help'], io)).to.equal(0);
      expect(HELP()).to.include('Usage: rxjs-socket-pipeline probe <url> [options]');
    });

    const usageCases: [string, string[], Record<string, string>, RegExp][] = [
      ['no command', [], {}, /^$/],
      ['an unknown command', ['prod'], {}, /unknown command "prod"/],
      ['no url', ['probe'], {}, /probe needs a <url>/],
      ['an unknown option', ['probe', 'ws://x', '--tokn', 'T'], {}, /--tokn/],
      ['{{token}} without --token-env', ['probe', 'ws://x', '--auth', AUTH], {}, /--token-env NAME/],
      ['an unset --token-env', ['probe', 'ws://x', '--auth', AUTH, '--token-env', 'NOPE'], {}, /NOPE is not set/],
      ['invalid JSON', ['probe', 'ws://x', '--auth', '{"token":"abc'], {}, /--auth is not valid JSON/],
      ['a non-object --ack', ['probe', 'ws://x', '--auth', '{}', '--ack', '"ok"'], {}, /--ack must be a JSON object/],
      ['a bad number', ['probe', 'ws://x', '--timeout', 'soon'], {}, /--timeout must be a number/],
      ['an http url', ['probe', 'http://x'], {}, /url must start with ws:\/\/ or wss:\/\//],
      [
        '--auth with --preset',
        ['probe', 'ws://x.localhost', '--preset', 'generic-json', '--auth', '{}'],
        {},
        /--auth cannot be combined with --preset/,
      ],
      [
        'an unknown preset',
        ['probe', 'ws://x.localhost', '--preset', 'socketio'],
        {},
        /unknown preset "socketio"; known: generic-json, graphql-ws/,
      ],
      [
        'an unknown preset option',
        ['probe', 'ws://x.localhost', '--preset', 'graphql-ws', '--opt', 'colour=red'],
        {},
        /--opt colour: the graphql-ws preset has no such option/,
      ],
      ['--opt without --preset', ['probe', 'ws://x.localhost', '--opt', 'a=b'], {}, /--opt needs --preset/],
      [
        'plain ws:// to another machine',
        ['probe', 'ws://chat.example.com'],
        {},
        /plain ws:\/\/ to chat\.example\.com.*pass --allow-insecure/,
      ],
    ];
    for (const [name, argv, env, message] of usageCases) {
      it(`exits ${USAGE_ERROR} on ${name}, saying what is wrong`, async () => {
        const { io, stderr } = cliIo(env);
        expect(await runCli(argv, io)).to.equal(USAGE_ERROR);
        expect(stderr.text()).to.match(message);
      });
    }

    it('never echoes the text of an invalid JSON option (it may hold a pasted token)', async () => {
      const { io, stderr } = cliIo({});
      await runCli(['probe', 'ws://x', '--auth', '{"token":"pasted-secret'], io);
      expect(stderr.text()).to.not.include('pasted-secret');
    });

    it('never echoes a URL it refuses (it may be the credential) nor a token passed to --token-env by mistake', async () => {
      const badUrl = cliIo({});
      expect(
        await runCli(['probe', 'https://streaming.example.com/channels/secret-channel-id', '--preset', 'genesys-notifications'], badUrl.io),
      ).to.equal(USAGE_ERROR);
      expect(badUrl.stderr.text()).to.match(/url must start with ws:\/\/ or wss:\/\//);
      expect(badUrl.stderr.text()).to.not.include('secret-channel-id');
      const tokenAsName = cliIo({});
      expect(
        await runCli(
          ['probe', 'wss://chat.example.com/ws', '--auth', AUTH, '--token-env', 'eyJhbGciOiJIUzI1NiJ9.pasted.secret'],
          tokenAsName.io,
        ),
      ).to.equal(USAGE_ERROR);
      expect(tokenAsName.stderr.text()).to.match(/--token-env takes the NAME of an environment variable/);
      expect(tokenAsName.stderr.text()).to.not.include('pasted.secret');
    });

    it('parses options into probe options', () => {
      expect(
        parseProbeArgs([
          'wss://h/ws',
          '--auth',
          AUTH,
          '--token-env',
          'T',
          '--subprotocol',
          'a',
          '--subprotocol',
          'b',
          '--timeout',
          '500',
          '--json',
        ]),
      ).to.deep.include({
        url: 'wss://h/ws',
        auth: { type: 'auth', token: '{{token}}' },
        tokenEnv: 'T',
        subprotocols: ['a', 'b'],
        timeout: 500,
        json: true,
      });
    });

    it('fills {{token}} in every string of the template, on parsed JSON', () => {
      expect(fillTemplate({ a: 'Bearer {{token}}', b: ['{{token}}', 1], c: { d: null } }, 'x"y')).to.deep.equal({
        a: 'Bearer x"y',
        b: ['x"y', 1],
        c: { d: null },
      });
    });
  });
});
