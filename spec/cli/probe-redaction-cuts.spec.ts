import { expect } from 'chai';
import { WebSocket } from 'ws';
import { runCli, type CliIo } from '../../lib/cli/cli.js';
import { redactHead, redactSecrets } from '../../lib/cli/redact.js';
import { TimelinePrinter } from '../../lib/cli/timeline-printer.js';
import type { WebSocketCtor } from '../../lib/web-socket-like.js';
import { startLocalServer, type LocalServer } from './local-server.js';

/** Runs the CLI with `args` after `probe <url>`, the token in $PROBE_TOKEN; everything written, stdout then stderr. */
async function runProbe(url: string, token: string, args: string[]): Promise<{ code: number; output: string }> {
  const chunks: string[] = [];
  const sink = { write: (chunk: string) => chunks.push(chunk), isTTY: false };
  const io: CliIo = { stdout: sink, stderr: sink, env: { PROBE_TOKEN: token }, WebSocketCtor: WebSocket as unknown as WebSocketCtor };
  const code = await runCli(['probe', url, '--auth', '{"type":"auth","token":"{{token}}"}', '--token-env', 'PROBE_TOKEN', ...args], io);
  return { code, output: chunks.join('') };
}

/** Every piece of `token` of `length` characters found in `output`. */
function piecesIn(output: string, token: string, length = 8): string[] {
  const found = new Set<string>();
  for (let at = 0; at + length <= token.length; at++) {
    if (output.includes(token.slice(at, at + length))) found.add(token.slice(at, at + length));
  }
  return [...found];
}

/** The strings of each JSON line (the frames' data, the verdict's summary...), nested ones too. */
function jsonStrings(output: string): string[] {
  const strings: string[] = [];
  const walk = (value: unknown): void => {
    if (typeof value === 'string') strings.push(value);
    else if (typeof value === 'object' && value !== null) Object.values(value).forEach(walk);
  };
  for (const line of output.trimEnd().split('\n')) walk(JSON.parse(line));
  return strings;
}

/** `text` as the content of a JSON string, `depth` times over, with "/" escaped as "\/" (PHP). */
function nestedJson(text: string, depth: number): string {
  let value = text;
  for (let layer = 0; layer < depth; layer++) value = JSON.stringify(value).slice(1, -1).replaceAll('/', '\\/');
  return value;
}

describe('probe CLI token redaction: cut tokens, percent-encoding, long frames (real ws on 127.0.0.1)', function () {
  this.timeout(20_000);
  let server: LocalServer | undefined;
  afterEach(() => server?.close());

  describe('a token cut by a clipped message', () => {
    // An opaque base64 token. A refusal quotes it after `offset` characters of text; the library
    // clips a reject reason (at 120 characters, now at 200 with "..."), which may cut the token.
    // It redacts the token as sent before it clips; the probe must not rely on that: a server may
    // quote the token encoded (the library looks for it as sent), or another path may clip.
    const TOKEN = 'f3a1c9e0/7b2d4e5f+8a6b1c0d9e8f7a6b/5c4d3e2f1a0b9c8d+7e6f5a4b3c2d1e0f==';
    const QUOTED = {
      'as sent': (token: string) => token,
      'URL-encoded': (token: string) => encodeURIComponent(token),
      'JSON-escaped, "/" as "\\/"': (token: string) => nestedJson(token, 1),
    };
    /** A piece of 8 characters of the token, or of a form it was quoted in. */
    const leaks = (output: string) => Object.values(QUOTED).flatMap((quote) => piecesIn(output, quote(TOKEN)));

    for (const offset of [100, 180]) {
      for (const [how, quote] of Object.entries(QUOTED)) {
        for (const json of [false, true]) {
          it(`prints no piece of 8 characters of it, quoted ${how} from character ${offset} of the reason${json ? ', in --json' : ''}`, async () => {
            const refusal = `The access token presented to this gateway was rejected by the identity provider: ${'why '.repeat(40)}`.slice(
              0,
              offset - 'token='.length,
            );
            server = await startLocalServer((socket, frame) => {
              const { token } = JSON.parse(frame) as { token: string };
              socket.send(JSON.stringify({ type: 'auth_error', message: `${refusal}token=${quote(token)}` }));
            });
            const { code, output } = await runProbe(server.url, TOKEN, json ? ['--json'] : []);
            expect(code, output).to.equal(1);
            expect(leaks(output), output).to.deep.equal([]);
            if (json) expect(leaks(jsonStrings(output).join('\n'))).to.deep.equal([]);
            // The verdict still says what happened, with the cut token redacted where it was.
            const verdict = json ? jsonStrings(output).find((text) => text.startsWith('FAILED'))! : output.trimEnd().split('\n').at(-1)!;
            expect(verdict).to.match(
              /^FAILED while authenticating: the server rejected the auth frame \(authenticating\): The access token/,
            );
            expect(verdict).to.include(`${refusal}token=***`);
          });
        }
      }
    }

    it('redacts a start of a secret at the end of a string or before "..."/"…", an end of one at the start or after one', () => {
      const lines: string[] = [];
      for (const json of [false, true]) {
        const printer = new TimelinePrinter(
          { write: (line: string) => lines.push(line) },
          { json, secrets: [TOKEN], maxFrame: 300, elapsed: () => 0 },
        );
        printer.event('closed', `1008, "${TOKEN.slice(0, 20)}..."`, {
          reason: TOKEN.slice(0, 9),
          note: `${TOKEN.slice(0, 30)}… (clipped)`,
        });
        printer.text(`verdict ${TOKEN.slice(0, 40)}`, {
          event: 'verdict',
          error: { message: `rejected: ${TOKEN.slice(0, 12)}`, tail: TOKEN.slice(-10) },
        });
        printer.frame('in', `…${TOKEN.slice(-16)} and ${TOKEN.slice(0, 8)}`);
      }
      expect(piecesIn(lines.join(''), TOKEN), lines.join('')).to.deep.equal([]);
      expect(lines.join('')).to.include('1008, "***..."').and.include('"reason":"***"').and.include('"note":"***… (clipped)"');
      // Shorter than 8 characters, or in the middle of a text: not a cut piece (kept).
      expect(redactSecrets(`a ${TOKEN.slice(0, 7)}`, [TOKEN], '***')).to.equal(`a ${TOKEN.slice(0, 7)}`);
      expect(redactSecrets(`a ${TOKEN.slice(0, 20)} b`, [TOKEN], '***')).to.equal(`a ${TOKEN.slice(0, 20)} b`);
      // Also cut inside an escape: the JSON-escaped or URL-encoded form, cut in the middle of one.
      const slashy = 'abcdefgh/ijklmnop/qrstuvwx';
      expect(redactSecrets(`x ${encodeURIComponent(slashy).slice(0, 10)}`, [slashy, encodeURIComponent(slashy)], '***')).to.equal('x ***');
      expect(redactSecrets(`x ${nestedJson(slashy, 2).slice(0, 12)}`, [slashy], '***')).to.equal('x ***');
    });
  });

  describe('a token echoed percent-encoded or nested in JSON strings', () => {
    // Standard base64, as OAuth bearer tokens often are.
    const TOKEN = 'abc+def/ghi==';
    const percent = (text: string, keep: RegExp) =>
      [...text].map((char) => (keep.test(char) ? char : `%${char.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`)).join('');
    const FORMS: Record<string, string> = {
      encodeURIComponent: encodeURIComponent(TOKEN),
      'percent, lower-case hex': encodeURIComponent(TOKEN).replace(/%[0-9A-F]{2}/g, (escape) => escape.toLowerCase()),
      "Python quote() (safe='/')": percent(TOKEN, /[\w/.~-]/),
      'every character percent-encoded': percent(TOKEN, /$^/),
      'double URL-encoded': encodeURIComponent(encodeURIComponent(TOKEN)),
      'triple URL-encoded, lower case': encodeURIComponent(encodeURIComponent(encodeURIComponent(TOKEN))).toLowerCase(),
      'JS escape()': escape(TOKEN),
      'JSON string nested 3 deep': nestedJson(TOKEN, 3),
      'JSON string nested 4 deep': nestedJson(TOKEN, 4),
      'JSON string nested 6 deep': nestedJson(TOKEN, 6),
      'URL-encoded, in a JSON string nested 2 deep': nestedJson(encodeURIComponent(TOKEN), 2),
      'JSON-escaped, then URL-encoded': encodeURIComponent(nestedJson(TOKEN, 1)),
      'URL-encoded with % as \\u0025': encodeURIComponent(TOKEN).replaceAll('%', '\\u0025'),
    };

    for (const json of [false, true]) {
      it(`never prints it, in any of ${Object.keys(FORMS).length} forms${json ? ', in --json' : ''}`, async () => {
        server = await startLocalServer((socket) => {
          for (const [name, form] of Object.entries(FORMS)) socket.send(`{"type":"echo","form":"${name}","token":"${form}"}`);
          socket.send('{"type":"auth_ok"}');
        });
        const { code, output } = await runProbe(server.url, TOKEN, ['--ack', '{"type":"auth_ok"}', ...(json ? ['--json'] : [])]);
        expect(code, output).to.equal(0);
        const texts = json ? [output, ...jsonStrings(output)] : [output];
        for (const [name, form] of Object.entries(FORMS)) {
          for (const text of texts) expect(text, `${name}: ${form}`).to.not.include(form).and.not.include(TOKEN);
          expect(json ? jsonStrings(output) : output, name).to.include(`{"type":"echo","form":"${name}","token":"***"}`);
        }
      });
    }

    it('finds a UTF-8 percent-encoded character (é as %C3%A9 or %c3%a9), after invalid sequences too', () => {
      const token = 'tök/en-é1';
      const encoded = encodeURIComponent(token);
      expect(redactSecrets(`a=${encoded}&b=${encoded.toLowerCase()}`, [token], '***')).to.equal('a=***&b=***');
      expect(redactSecrets(`%C3%28 %E2%82 %ZZ 100% %C3${encoded}`, [token], '***')).to.equal('%C3%28 %E2%82 %ZZ 100% %C3***');
    });
  });

  describe('a long frame', () => {
    const TOKEN = 'abc+def/ghi==';
    const MEGABYTES = 8;
    const FRAMES = {
      backslashes: '\\'.repeat(MEGABYTES << 20),
      '\\u005c sequences': '\\u005c'.repeat(Math.floor((MEGABYTES << 20) / 6)),
    };

    for (const [name, padding] of Object.entries(FRAMES)) {
      for (const json of [false, true]) {
        it(`of ${MEGABYTES} MB of ${name} is printed cut at --max-frame, the token straddling the cut redacted whole${json ? ', in --json' : ''}`, async () => {
          // The token JSON-escaped twice starts 10 characters before the cut: the printed start of
          // the frame ends with *** where it was, then the padding to the cut.
          const lead = 'x'.repeat(290);
          const frames = [`${lead}${nestedJson(TOKEN, 2)}${padding}`, `${padding}${TOKEN}`];
          server = await startLocalServer((socket) => {
            for (const frame of frames) socket.send(frame);
            socket.send('{"type":"auth_ok"}');
          });
          const { code, output } = await runProbe(server.url, TOKEN, ['--ack', '{"type":"auth_ok"}', ...(json ? ['--json'] : [])]);
          expect(code, output.slice(0, 2000)).to.equal(0);
          expect(output.length).to.be.below(5000);
          expect(piecesIn(output, TOKEN, 4)).to.deep.equal([]);
          const printed = json ? jsonStrings(output) : output.split('\n');
          const [withToken, tokenAtEnd] = frames.map((frame, index) => {
            const line = printed.find(
              (text) => text.includes(`(${frame.length} chars, cut at --max-frame 300)`) && (index === 0) === text.includes(lead),
            );
            expect(line, `frame ${index}: ${output.slice(0, 3000)}`).to.be.a('string');
            return line!;
          });
          expect(withToken).to.include(`${lead}***${padding.slice(0, 7)}… (`);
          expect(tokenAtEnd).to.include(`${padding.slice(0, 300)}… (`);
        });
      }
    }

    it('printing its start costs what the start costs, whatever the frame holds after (first max characters, same as redacting all)', () => {
      const frame = `${'y'.repeat(100)}${nestedJson(TOKEN, 3)}${'\\'.repeat(1 << 20)}${TOKEN}`;
      const full = redactSecrets(frame, [TOKEN], '***');
      for (const max of [1, 100, 101, 300, 5_000]) {
        expect(redactHead(frame, [TOKEN], '***', max)).to.deep.equal({ head: full.slice(0, max), complete: false });
      }
      expect(redactHead(TOKEN.repeat(50_000), [TOKEN], '***', 300)).to.deep.equal({ head: '***'.repeat(100), complete: false });
      expect(redactHead(`a ${TOKEN}`, [TOKEN], '***', 5)).to.deep.equal({ head: 'a ***', complete: true });
    });
  });
});
