import { expect } from 'chai';
import { WebSocket } from 'ws';
import { HELP, runCli, USAGE_ERROR, type CliIo } from '../../lib/cli/cli.js';
import type { WebSocketCtor } from '../../lib/web-socket-like.js';
import { startLocalServer, type LocalServer } from './local-server.js';

function capture() {
  const chunks: string[] = [];
  return { write: (chunk: string) => chunks.push(chunk), isTTY: false, text: () => chunks.join('') };
}

function cliIo(env: Record<string, string>, WebSocketCtor: WebSocketCtor = WebSocket as unknown as WebSocketCtor) {
  const stdout = capture();
  const stderr = capture();
  const io: CliIo = { stdout, stderr, env, WebSocketCtor };
  return { io, stdout, stderr };
}

/** A `ws` WebSocket that records the URL it was given and connects to `server` instead. */
function redirectedTo(server: LocalServer, opened: string[]): WebSocketCtor {
  class RedirectedWebSocket extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      opened.push(url);
      super(server.url, protocols);
    }
  }
  return RedirectedWebSocket as unknown as WebSocketCtor;
}

describe('probe CLI with a preset (real ws on 127.0.0.1)', function () {
  this.timeout(20_000);
  let server: LocalServer;
  afterEach(() => server.close());

  describe('a URL the preset builds in a function (genesys-notifications: the URL is the credential)', () => {
    const remote = 'ws://streaming.example.com/channels/secret-channel-id?access=secret-query';
    beforeEach(async () => {
      server = await startLocalServer();
    });

    it('exits 2 on plain ws:// to another machine, like a string URL, naming the host only and opening nothing', async () => {
      const opened: string[] = [];
      const { io, stdout, stderr } = cliIo({}, redirectedTo(server, opened));
      const code = await runCli(['probe', remote, '--preset', 'genesys-notifications'], io);
      expect(code, stdout.text()).to.equal(USAGE_ERROR);
      expect(stderr.text()).to.match(/plain ws:\/\/ to streaming\.example\.com, another machine.*pass --allow-insecure/);
      expect(stderr.text()).to.not.include('set allowInsecure');
      for (const secret of ['secret-channel-id', 'secret-query', '/channels']) {
        expect(stderr.text() + stdout.text(), secret).to.not.include(secret);
      }
      expect(stdout.text()).to.equal('');
      expect(opened).to.deep.equal([]);
      expect(server.connections).to.equal(0);
    });

    it('connects with --allow-insecure, never printing the URL', async () => {
      const opened: string[] = [];
      const { io, stdout, stderr } = cliIo({}, redirectedTo(server, opened));
      const code = await runCli(['probe', remote, '--preset', 'genesys-notifications', '--allow-insecure'], io);
      expect(code, stdout.text() + stderr.text()).to.equal(0);
      expect(opened).to.deep.equal([remote]);
      expect(stdout.text()).to.include('OK: connected');
      expect(stdout.text()).to.not.include('secret-channel-id');
    });

    it('accepts a loopback ws:// URL without --allow-insecure', async () => {
      const { io, stdout } = cliIo({});
      const code = await runCli(['probe', `${server.url}/channels/secret-channel-id`, '--preset', 'genesys-notifications'], io);
      expect(code, stdout.text()).to.equal(0);
      expect(server.connections).to.equal(1);
      expect(stdout.text()).to.not.include('secret-channel-id');
    });
  });

  describe('the ack deadline: an --opt authTimeout/ackTimeout wins over --timeout', () => {
    beforeEach(async () => {
      server = await startLocalServer(); // reads the auth frame, never acks
    });

    const cases: [string, string[]][] = [
      ['generic-json --opt authTimeout', ['--preset', 'generic-json', '--token-env', 'PROBE_TOKEN', '--opt', 'authTimeout=200']],
      ['graphql-ws --opt ackTimeout', ['--preset', 'graphql-ws', '--opt', 'ackTimeout=200']],
    ];
    for (const [name, args] of cases) {
      it(`${name}=200 with --timeout 5000: the ack may take 200 ms`, async () => {
        const { io, stdout } = cliIo({ PROBE_TOKEN: 'tok-1' });
        const code = await runCli(['probe', server.url, ...args, '--timeout', '5000'], io);
        const text = stdout.text();
        expect(code, text).to.equal(1);
        expect(server.received, 'the auth frame').to.have.length(1);
        expect(text).to.match(/FAILED while authenticating: no auth ack within 200 ms of the socket opening/);
        expect(text).to.include('(timeout 5000 ms, ack 200 ms)');
        expect(text).to.include('authenticating  open; waiting up to 0.2 s for the ack');
        expect(text).to.not.include('tok-1');
      });
    }

    it('says so in --help', () => {
      expect(HELP()).to.include("--opt authTimeout=<ms> or ackTimeout=<ms> sets the ack's deadline instead");
    });

    it('without such an --opt, --timeout is the ack deadline of a preset too', async () => {
      const { io, stdout } = cliIo({ PROBE_TOKEN: 'tok-1' });
      const code = await runCli(['probe', server.url, '--preset', 'generic-json', '--token-env', 'PROBE_TOKEN', '--timeout', '200'], io);
      expect(code, stdout.text()).to.equal(1);
      expect(stdout.text()).to.match(/FAILED while authenticating: no auth ack within 200 ms of the socket opening/);
    });
  });
});
