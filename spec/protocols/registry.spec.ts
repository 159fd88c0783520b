import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { PRESETS } from '../../lib/protocols/registry.js';
import { connect } from '../../lib/session/connect.js';
import { ACTION_AUTH_SHAPE, GenericJsonGateway } from '../../lib/testing/protocol-gateways/generic-json-gateway.js';
import { NodeWebSocket, reach } from './protocol-helpers.js';

describe('PRESETS registry', () => {
  it('lists every preset with a description and its options, secrets marked', () => {
    expect(Object.keys(PRESETS)).to.deep.equal(['generic-json', 'graphql-ws', 'genesys-web-messaging', 'genesys-notifications']);
    for (const entry of Object.values(PRESETS)) {
      expect(entry.description).to.be.a('string').and.not.equal('');
      expect(entry.options.length).to.be.greaterThan(0);
    }
    const secrets = Object.fromEntries(
      Object.entries(PRESETS).map(([name, entry]) => [name, entry.options.filter((option) => option.secret).map((option) => option.name)]),
    );
    expect(secrets).to.deep.equal({
      'generic-json': ['token'],
      'graphql-ws': ['token'],
      'genesys-web-messaging': ['token'],
      'genesys-notifications': ['url'],
    });
  });

  it('builds configs that connect() accepts from string options', () => {
    const token = randomUUID();
    const configs = [
      PRESETS['generic-json']!.create({
        url: 'ws://127.0.0.1:1',
        token: 't',
        ack: '{"action":"auth","status":"success"}',
        reject: 'none',
        pingInterval: '5000',
      }),
      PRESETS['graphql-ws']!.create({ url: 'ws://127.0.0.1:1/graphql', token: 't', connectionParams: '{"auth":{"bearer":"{{token}}"}}' }),
      PRESETS['genesys-web-messaging']!.create({ region: 'mypurecloud.com', deploymentId: 'd-1', token }),
      PRESETS['genesys-notifications']!.create({ url: 'wss://streaming.mypurecloud.com/channels/streaming-0-x' }),
    ];
    for (const config of configs) connect({ ...config, WebSocketCtor: NodeWebSocket }).close();
    expect(configs[0]!.auth!.reject).to.equal(undefined);
    expect(configs[1]!.auth!.message({ auth: { bearer: 't' } }, { lastId: undefined })).to.deep.equal({
      type: 'connection_init',
      payload: { auth: { bearer: 't' } },
    });
    expect(configs[2]!.url).to.equal('wss://webmessaging.mypurecloud.com/v1?deploymentId=d-1');
  });

  it('substitutes {{token}} in graphql-ws connectionParams', async () => {
    const config = PRESETS['graphql-ws']!.create({ url: 'ws://x', token: 'abc', connectionParams: '{"a":["{{token}}"],"b":"{{token}}"}' });
    const source = config.token as () => unknown;
    expect(source()).to.deep.equal({ a: ['abc'], b: 'abc' });
  });

  it('substitutes {{token}} inside a string too ("Bearer {{token}}"), and still needs a token for it', () => {
    const config = PRESETS['graphql-ws']!.create({ url: 'ws://x', token: 'abc', connectionParams: '{"Authorization":"Bearer {{token}}"}' });
    expect((config.token as () => unknown)()).to.deep.equal({ Authorization: 'Bearer abc' });
    expect(() => PRESETS['graphql-ws']!.create({ url: 'ws://x', connectionParams: '{"Authorization":"Bearer {{token}}"}' })).to.throw(
      TypeError,
      /token is required/,
    );
  });

  it('names the missing or malformed option, never echoing a secret', () => {
    expect(() => PRESETS['generic-json']!.create({ url: 'ws://x' })).to.throw(TypeError, /option token is required/);
    expect(() => PRESETS['generic-json']!.create({ url: 'ws://x', token: 't', pingInterval: 'soon' })).to.throw(
      TypeError,
      /pingInterval must be a number/,
    );
    expect(() => PRESETS['generic-json']!.create({ url: 'ws://x', token: 't', ack: '{oops' })).to.throw(
      TypeError,
      /ack must be a JSON object/,
    );
    expect(() => PRESETS['graphql-ws']!.create({ url: 'ws://x', connectionParams: '{"t":"{{token}}"}' })).to.throw(
      TypeError,
      /token is required/,
    );
    expect(() => PRESETS['genesys-web-messaging']!.create({ region: 'r', deploymentId: 'd', token: 'hunter2-secret' }))
      .to.throw(TypeError)
      .and.not.match(/hunter2/);
    expect(() => PRESETS['genesys-notifications']!.create({ url: 'not a url secret-channel' }))
      .to.throw(TypeError)
      .and.not.match(/secret-channel/);
  });

  it('drives a real session end to end (generic-json against its gateway)', async () => {
    const gateway = await GenericJsonGateway.start(ACTION_AUTH_SHAPE);
    const config = PRESETS['generic-json']!.create({
      url: gateway.url,
      token: gateway.issueToken(),
      authFrame: '{"action":"auth"}',
      ack: '{"action":"auth","status":"success"}',
      ping: 'none',
    });
    const session = connect({ ...config, WebSocketCtor: NodeWebSocket });
    try {
      session.messages$.subscribe();
      await reach(session, 'ready');
    } finally {
      session.close();
      await gateway.close();
    }
  });
});
