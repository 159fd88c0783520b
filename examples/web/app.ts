/**
 * The demo page's script: one session from `connect()`, on the browser's native WebSocket (no
 * `WebSocketCtor`), shown as it lives: its state, the chat, and an outbox where queued sends
 * visibly wait and then go out in order. Bundled by serve.ts with esbuild.
 */
import * as t from 'io-ts';
import { connect, type SendReceipt, type SessionState } from '../../lib/index.js';
// The protocol file alone: the `testing` entry as a whole is Node-only (it runs a ws server).
import { Accepted, AuthExpired, AuthOk, ChatMessage, Pong, SendRequest } from '../../lib/testing/gateway-protocol.js';
import type { DemoSettings, Fault } from './demo-settings.js';

interface OutboxEntry {
  readonly clientId: string;
  readonly text: string;
  readonly receipt: SendReceipt;
  readonly element: HTMLLIElement;
}

const settings = (await (await fetch('/settings')).json()) as DemoSettings;
const stateOutput = element<HTMLOutputElement>('state');
const timeline = element<HTMLOListElement>('timeline');
const messageList = element<HTMLUListElement>('messages');
const outboxList = element<HTMLOListElement>('outbox');
const form = element<HTMLFormElement>('send-form');
const input = element<HTMLInputElement>('text');
const outbox: OutboxEntry[] = [];
// Unique per page load, so the gateway's de-duplication by clientId never merges two tabs.
const pageId = Math.random().toString(36).slice(2, 8);
let sent = 0;

const session = connect({
  url: settings.gatewayUrl,
  inbound: t.union([ChatMessage, Accepted]),
  outbound: SendRequest,
  // A fresh token on every connect and re-auth, fetched from our own server; it goes into the
  // auth frame, never into the WebSocket URL.
  token: fetchToken,
  resume: { idOf: (message) => (message.type === 'message' ? message.id : undefined) },
  auth: {
    message: (token, { lastId }) => ({ type: 'auth', token, resumeFrom: lastId }),
    ack: AuthOk,
    expired: AuthExpired,
  },
  heartbeat: {
    interval: settings.heartbeatInterval,
    timeout: settings.heartbeatTimeout,
    ping: () => ({ type: 'ping' }),
    pong: Pong,
  },
  retry: { initialDelay: settings.retryInitialDelay, maxDelay: settings.retryMaxDelay },
  // Acks make delivery at-least-once: a send written on a socket that died is written again;
  // the gateway de-duplicates by clientId, and `resume` drops replayed messages already shown.
  sendAck: { keyOf: (message) => message.clientId, ackedKey: (frame) => (Accepted.is(frame) ? frame.clientId : undefined) },
  // The page always wants its socket: no grace period.
  grace: Infinity,
});

session.state$.subscribe(showState);
session.messages$.subscribe({
  next: (message) => {
    if (message.type !== 'message') return;
    const item = document.createElement('li');
    item.dataset['id'] = String(message.id);
    item.dataset['clientId'] = message.clientId;
    item.textContent = `#${message.id} ${message.from}: ${message.text}`;
    messageList.append(item);
  },
  error: (error: unknown) => showState({ type: 'closed', error }),
});
session.invalid$.subscribe((error) => console.warn(error.message));

form.addEventListener('submit', (event) => {
  event.preventDefault();
  const text = input.value.trim();
  if (!text) return;
  input.value = '';
  const clientId = `${pageId}-${++sent}`;
  const item = document.createElement('li');
  item.dataset['clientId'] = clientId;
  outboxList.append(item);
  const entry = { clientId, text, receipt: session.send({ type: 'send', clientId, text }), element: item };
  outbox.push(entry);
  renderEntry(entry);
  entry.receipt.then(
    () => renderEntry(entry),
    () => renderEntry(entry),
  );
});

document.querySelectorAll<HTMLButtonElement>('button[data-fault]').forEach((button) => {
  button.addEventListener('click', () => void fetch(`/fault/${button.dataset['fault'] as Fault}`, { method: 'POST' }));
});

// A receipt's status changes without an event (queued, written, acknowledged): refresh the outbox.
setInterval(() => outbox.forEach(renderEntry), 100);

async function fetchToken(): Promise<string> {
  const response = await fetch('/token', { method: 'POST' });
  if (!response.ok) throw new Error(`token endpoint answered ${response.status}`);
  return ((await response.json()) as { token: string }).token;
}

function showState(state: SessionState): void {
  const text = describe(state);
  stateOutput.value = text;
  stateOutput.dataset['state'] = state.type;
  const item = document.createElement('li');
  item.dataset['state'] = state.type;
  item.textContent = `${new Date().toLocaleTimeString()}  ${text}`;
  timeline.append(item);
  timeline.scrollTop = timeline.scrollHeight;
}

function describe(state: SessionState): string {
  switch (state.type) {
    case 'reconnecting': {
      const seconds = state.delay >= 1000 ? Math.round(state.delay / 1000) : (state.delay / 1000).toFixed(1);
      return `reconnecting in ${seconds} s, attempt ${state.attempt} (${errorName(state.cause)})`;
    }
    case 'reauthenticating':
      return state.trigger === 'expired' ? 're-authenticating: the token expired' : 're-authenticating: refreshing the token';
    case 'closed':
      return state.error === undefined ? 'closed' : `closed: ${errorName(state.error)}`;
    default:
      return state.type;
  }
}

function renderEntry(entry: OutboxEntry): void {
  const status = entry.receipt.status;
  if (entry.element.dataset['status'] === status) return;
  entry.element.dataset['status'] = status;
  entry.element.textContent = `${entry.text} (${status})`;
}

function errorName(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`index.html has no #${id}`);
  return found as T;
}
