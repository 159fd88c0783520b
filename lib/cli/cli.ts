import { parseArgs } from 'node:util';
import type { FramePattern } from '../protocols/frame-pattern.js';
import { PRESETS } from '../protocols/registry.js';
import type { WebSocketCtor } from '../web-socket-like.js';
import { probe, type ProbeIo, type ProbeOptions } from './probe.js';
import type { ProbeOutput } from './timeline-printer.js';

/** What the command line needs from its process; injected so tests run it in-process. */
export interface CliIo {
  readonly stdout: ProbeOutput;
  /** Usage errors go here. */
  readonly stderr: ProbeOutput;
  readonly env: ProbeIo['env'];
  /** The WebSocket implementation, or `undefined` when none is available. */
  readonly WebSocketCtor: WebSocketCtor | undefined;
  readonly signal?: AbortSignal;
}

/** Exit code of a command line that could not be understood. */
export const USAGE_ERROR = 2;

/** `--help`: every option with its default, and the presets with theirs. */
export const HELP = (): string => `Usage: rxjs-socket-pipeline probe <url> [options]

Connects to a WebSocket endpoint, sends an auth frame, and prints a live timeline of states and
frames, then a verdict with a diagnosis. Exit code 0 when the auth was acknowledged (or, without
--auth, the socket opened) and nothing failed; 1 when it failed; 2 for a command-line error.

Options:
  --auth <json>         Auth frame to send first, as JSON; every {{token}} in its strings is
                        replaced by the token. Example: '{"type":"auth","token":"{{token}}"}'
  --token-env <NAME>    Environment variable that holds the token. The token is never taken from
                        the command line and never printed: it shows as *** everywhere, also when
                        a server echoes it JSON-escaped (\\/, \\u002f...) or URL-encoded.
  --ack <json>          The ack, by example: a frame matches when it has all these fields with
                        these values, e.g. '{"type":"auth_ok"}'. Default: the first frame that
                        does not match --reject.
  --reject <json>       An explicit refusal, by example, e.g. '{"type":"auth_error"}'. Default,
                        with no --ack either: a frame whose type, action, status, event, result
                        or code says error, fail, denied, unauthorized, forbidden, invalid,
                        reject or expired.
  --ping <json>         Frame to send every --interval ms once ready (keepalive), e.g. '{"type":"ping"}'.
  --pong <json>         The answer to --ping, by example. Default: any frame answers.
  --interval <ms>       Milliseconds between pings. Default 25000.
  --timeout <ms>        Deadline of each wait: open, ack, pong. Default 10000. With --preset, an
                        --opt authTimeout=<ms> or ackTimeout=<ms> sets the ack's deadline instead
                        (the more specific option wins); --timeout still bounds the open.
  --duration <ms>       Stay connected this long once ready, printing what arrives. Default 0.
  --retries <n>         Reconnects after a retryable failure before giving up. Default 0.
  --subprotocol <name>  Subprotocol to offer in the handshake; repeat for several.
  --max-frame <chars>   Cut printed frames longer than this. Default 300.
  --json                One JSON object per line (events, frames, verdict) instead of text.
  --preset <name>       Speak a known protocol instead of --auth/--ack/--reject/--ping/--pong
                        (see Presets below); --token-env, --timeout, --duration, --retries apply.
  --opt <name=value>    An option of the preset; repeat for several.
  --allow-insecure      Accept a plain ws:// URL to another machine (refused by default, exit 2,
                        also with a --preset: the token would cross the network unencrypted;
                        loopback is always fine).
  -h, --help            This help.

Examples:
  TOKEN=... rxjs-socket-pipeline probe wss://chat.example.com/ws \\
    --auth '{"type":"auth","token":"{{token}}"}' --token-env TOKEN --ack '{"type":"auth_ok"}'
  rxjs-socket-pipeline probe ws://127.0.0.1:8080 --ping '{"type":"ping"}' --pong '{"type":"pong"}' \\
    --interval 1000 --duration 5000 --json
  API_TOKEN=... rxjs-socket-pipeline probe wss://api.example.com/graphql --preset graphql-ws \\
    --token-env API_TOKEN --opt connectionParams='{"authToken":"{{token}}"}'

${presetHelp()}`;

/**
 * Runs the command line: `probe <url> [options]` or `--help`. Resolves with the exit code;
 * never exits the process itself.
 *
 * @example
 * process.exitCode = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env, WebSocketCtor: WebSocket });
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    io.stdout.write(HELP());
    return command === undefined ? USAGE_ERROR : 0;
  }
  if (command !== 'probe') return usage(io, `unknown command "${command}"`);
  let options: ProbeOptions | 'help';
  try {
    options = parseProbeArgs(rest);
  } catch (error) {
    return usage(io, (error as Error).message);
  }
  if (options === 'help') {
    io.stdout.write(HELP());
    return 0;
  }
  if (!io.WebSocketCtor) {
    return usage(io, 'no WebSocket implementation: install the "ws" package (npm install ws), or use Node 22 or later');
  }
  try {
    const verdict = await probe(options, { stdout: io.stdout, env: io.env, WebSocketCtor: io.WebSocketCtor, signal: io.signal });
    return verdict.exitCode;
  } catch (error) {
    // Option errors name the library option; on the command line it is spelled differently.
    if (error instanceof TypeError) return usage(io, error.message.replace('set allowInsecure: true', 'pass --allow-insecure'));
    throw error;
  }
}

/** Turns the arguments after `probe` into {@link ProbeOptions} (or 'help'); throws naming the bad option. */
export function parseProbeArgs(args: readonly string[]): ProbeOptions | 'help' {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    strict: true,
    options: {
      auth: { type: 'string' },
      'token-env': { type: 'string' },
      ack: { type: 'string' },
      reject: { type: 'string' },
      ping: { type: 'string' },
      pong: { type: 'string' },
      interval: { type: 'string' },
      timeout: { type: 'string' },
      duration: { type: 'string' },
      retries: { type: 'string' },
      subprotocol: { type: 'string', multiple: true },
      'max-frame': { type: 'string' },
      json: { type: 'boolean' },
      'allow-insecure': { type: 'boolean' },
      preset: { type: 'string' },
      opt: { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  if (positionals.length !== 1) {
    throw new TypeError(positionals.length === 0 ? 'probe needs a <url>' : `probe takes one <url>, got ${positionals.length} arguments`);
  }
  return {
    url: positionals[0]!,
    auth: json(values.auth, '--auth'),
    tokenEnv: values['token-env'],
    ack: json(values.ack, '--ack') as FramePattern | undefined,
    reject: json(values.reject, '--reject') as FramePattern | undefined,
    ping: json(values.ping, '--ping'),
    pong: json(values.pong, '--pong') as FramePattern | undefined,
    interval: number(values.interval, '--interval'),
    timeout: number(values.timeout, '--timeout'),
    duration: number(values.duration, '--duration'),
    retries: number(values.retries, '--retries'),
    subprotocols: values.subprotocol ?? [],
    maxFrame: number(values['max-frame'], '--max-frame'),
    json: values.json ?? false,
    allowInsecure: values['allow-insecure'] ?? false,
    preset: values.preset,
    presetOptions: presetOptions(values.opt ?? []),
  };
}

function presetOptions(pairs: readonly string[]): Record<string, string> {
  const options: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new TypeError('--opt takes name=value');
    options[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return options;
}

/** The presets section of the help, from the registry (so it never goes stale). */
function presetHelp(): string {
  const lines = ['Presets (--preset <name>, their options with --opt name=value; url is <url>, token comes from --token-env):'];
  for (const [name, entry] of Object.entries(PRESETS)) {
    lines.push(`  ${name}: ${entry.description}`);
    for (const option of entry.options) {
      if (option.name === 'url' || option.name === 'token') continue;
      lines.push(`      ${option.name.padEnd(18)} ${option.description}${option.required ? ' (required)' : ''}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

function usage(io: CliIo, message: string): number {
  io.stderr.write(`rxjs-socket-pipeline: ${message}\nRun "rxjs-socket-pipeline --help" for the options.\n`);
  return USAGE_ERROR;
}

function json(text: string | undefined, option: string): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // The text is not echoed: it may hold a pasted token.
    throw new TypeError(`${option} is not valid JSON (quote it for the shell: ${option} '{"type":"..."}')`);
  }
}

function number(text: string | undefined, option: string): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value)) throw new TypeError(`${option} must be a number, got "${text}"`);
  return value;
}
