import { expect } from 'chai';
import { WebSocket } from 'ws';
import { runCli, type CliIo } from '../../lib/cli/cli.js';
import { ReferenceGateway } from '../../lib/testing/reference-gateway.js';
import type { WebSocketCtor } from '../../lib/web-socket-like.js';

// Without --ack the probe takes "the first frame that is not a refusal" as the ack. A server that
// answers a bad token with {"type":"auth_error",...} must then read as refused, not authenticated.

function cliIo(env: Record<string, string>) {
  const chunks: string[] = [];
  const stdout = { write: (chunk: string) => chunks.push(chunk), isTTY: false };
  const io: CliIo = { stdout, stderr: { write: () => true }, env, WebSocketCtor: WebSocket as unknown as WebSocketCtor };
  return { io, output: () => chunks.join('') };
}

describe('probe CLI without --ack', () => {
  let gateway: ReferenceGateway;
  beforeEach(async () => {
    gateway = await ReferenceGateway.start({ explicitErrors: true });
  });
  afterEach(() => gateway.close());

  it("reads an answer that calls itself an error as a refusal: exit 1, 'rejected'", async () => {
    const { io, output } = cliIo({ PROBE_TOKEN: 'not-a-token-the-gateway-issued' });
    const code = await runCli(['probe', gateway.url, '--auth', '{"type":"auth","token":"{{token}}"}', '--token-env', 'PROBE_TOKEN'], io);
    expect(code).to.equal(1);
    expect(output()).to.match(/FAILED while authenticating: the server rejected the auth frame/);
    expect(output()).to.not.include('not-a-token-the-gateway-issued');
  });

  it('still takes the first other frame as the ack: exit 0 with a good token', async () => {
    const { io, output } = cliIo({ PROBE_TOKEN: gateway.issueToken() });
    const code = await runCli(['probe', gateway.url, '--auth', '{"type":"auth","token":"{{token}}"}', '--token-env', 'PROBE_TOKEN'], io);
    expect(code, output()).to.equal(0);
    expect(output()).to.match(/OK: authenticated/);
  });
});
