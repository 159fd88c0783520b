import { expect } from 'chai';
import { WebSocket } from 'ws';
import { runCli, type CliIo } from '../../lib/cli/cli.js';
import { TimelinePrinter } from '../../lib/cli/timeline-printer.js';
import type { WebSocketCtor } from '../../lib/web-socket-like.js';
import { startLocalServer, type LocalServer } from './local-server.js';

// A token with a slash, a quote, a backslash and a non-ASCII letter: every JSON encoder writes it
// differently. PHP's json_encode escapes "/" as "\/" and non-ASCII as "\u00e9"; others escape
// every character as \uXXXX.
const TOKEN = 'tk/9f3"q\\x/é-end';

/** JSON.stringify, then "/" as "\/" and non-ASCII as \uXXXX (PHP's json_encode defaults). */
function phpJson(value: unknown): string {
  return JSON.stringify(value)
    .replaceAll('/', '\\/')
    .replace(/[^\x20-\x7e]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Every UTF-16 code unit of `text` as a \uXXXX escape, hex in `upper` or lower case. */
function allUnicodeEscapes(text: string, upper: boolean): string {
  return [...text]
    .map((char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`)
    .map((escape) => (upper ? escape.toUpperCase().replace('\\U', '\\u') : escape))
    .join('');
}

/** The token in every form a server may echo it in. */
const FORMS = {
  raw: TOKEN,
  json: JSON.stringify(TOKEN).slice(1, -1),
  'json with \\/': JSON.stringify(TOKEN).slice(1, -1).replaceAll('/', '\\/'),
  php: phpJson(TOKEN).slice(1, -1),
  'all \\u, lower case': allUnicodeEscapes(TOKEN, false),
  'all \\u, upper case': allUnicodeEscapes(TOKEN, true),
  'url-encoded': encodeURIComponent(TOKEN),
  // Telltale pieces: a leak of half the token is a leak too.
  head: 'tk/9f3',
  'head with \\/': 'tk\\/9f3',
  tail: 'x/é-end',
};

describe('probe CLI token redaction (real ws on 127.0.0.1)', function () {
  this.timeout(20_000);
  let server: LocalServer;
  beforeEach(async () => {
    // Echoes the token from the auth frame: first every character \u-escaped, then in the ack with
    // PHP's escaping ("\/", "\u00e9").
    server = await startLocalServer((socket, frame) => {
      const { token } = JSON.parse(frame) as { token: string };
      socket.send(`{"type":"echo","token":"${allUnicodeEscapes(token, true)}"}`);
      socket.send(phpJson({ type: 'auth_ok', token }));
    });
  });
  afterEach(() => server.close());

  for (const json of [false, true]) {
    it(`never prints a token the server echoes JSON-escaped (\\/, \\uXXXX)${json ? ', in --json' : ''}`, async () => {
      const stdout = { chunks: [] as string[], write: (chunk: string) => stdout.chunks.push(chunk), isTTY: false };
      const stderr = { chunks: [] as string[], write: (chunk: string) => stderr.chunks.push(chunk), isTTY: false };
      const io: CliIo = { stdout, stderr, env: { PROBE_TOKEN: TOKEN }, WebSocketCtor: WebSocket as unknown as WebSocketCtor };
      const code = await runCli(
        [
          'probe',
          `${server.url}/?t=${encodeURIComponent(TOKEN)}`,
          '--auth',
          '{"type":"auth","token":"{{token}}"}',
          '--token-env',
          'PROBE_TOKEN',
          '--ack',
          '{"type":"auth_ok"}',
          ...(json ? ['--json'] : []),
        ],
        io,
      );
      const output = stdout.chunks.join('') + stderr.chunks.join('');
      expect(code, output).to.equal(0);
      // In --json, the strings of each line too (there the frames are JSON-escaped once more).
      const strings = json
        ? output
            .trimEnd()
            .split('\n')
            .flatMap((line) => Object.values(JSON.parse(line) as Record<string, unknown>))
            .filter((value): value is string => typeof value === 'string')
        : [];
      for (const [name, form] of Object.entries(FORMS)) {
        for (const text of [output, ...strings]) expect(text, `the token ${name}: ${form}`).to.not.include(form);
      }
      expect(server.received).to.deep.equal([JSON.stringify({ type: 'auth', token: TOKEN })]);
      for (const frame of ['{"type":"auth","token":"***"}', '{"type":"echo","token":"***"}', '{"type":"auth_ok","token":"***"}']) {
        expect(json ? strings : output).to.include(frame);
      }
    });
  }

  it('redacts a JSON-escaped token of backslashes whole, after a long run of backslashes (no backtracking)', () => {
    const secret = `${'\\'.repeat(40)}x`;
    const printer = new TimelinePrinter({ write: () => true }, { json: false, secrets: [secret], maxFrame: 100, elapsed: () => 0 });
    const frame = `${'\\'.repeat(1_000_000)}y${JSON.stringify(secret)}`;
    expect(printer.redact(frame)).to.equal(`${'\\'.repeat(1_000_000)}y"***"`);
  });
});
