import { expect } from 'chai';
import { diagnose, type DiagnosisContext } from '../../lib/cli/diagnosis.js';
import { ConnectionClosedError, ConnectTimeoutError, RetryExhaustedError } from '../../lib/errors.js';

const context = (phase: DiagnosisContext['phase']): DiagnosisContext => ({
  phase,
  authenticates: true,
  tokenEnv: 'TOKEN',
  framesBeforeAck: 0,
  subprotocols: [],
});

describe('probe diagnosis', () => {
  it("gives the probe's own advice once, without the error's generic one", () => {
    const text = diagnose(new ConnectTimeoutError(5000), context('connecting'));
    expect(text).to.equal(
      'while connecting: the socket did not open within 5000 ms. Check: the URL, the network path (proxy, firewall) and that the server is up',
    );
  });

  it('also when a RetryExhaustedError quotes the error', () => {
    const text = diagnose(new RetryExhaustedError(3, 9000, new ConnectTimeoutError(5000)), context('connecting'));
    expect(text.match(/check/gi)).to.have.length(1);
    expect(text).to.contain('. Check: the URL, the network path');
  });

  it('keeps what ws said went wrong, after dropping the generic advice', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    const error = new ConnectionClosedError(1006, '', false, 'connecting', undefined, undefined, refused);
    expect(diagnose(error, context('connecting'))).to.equal(
      'while connecting: the connection failed before it opened (1006, no reason) (Error: connect ECONNREFUSED 127.0.0.1:1). ' +
        'Check: the URL (ws:// or wss://, host, port, path) and that the server is up',
    );
  });

  it("never cuts a server's close reason that happens to contain ': check '", () => {
    const reason = 'bad request: check your headers';
    const error = new ConnectionClosedError(4400, reason, true, 'ready', 1200);
    expect(diagnose(error, context('ready'))).to.contain(reason);
  });
});
