#!/usr/bin/env node
// tests/ws_node_server.js: a stand-in for the BitcartCC daemon's websocket route, built on the
// npm `ws` package (installed into tests/node_modules), so tests/test_ws_node.c can check the
// client against an independent, widely used websocket implementation.
//
//   GET /ws             websocket; HTTP Basic auth electrum:electrumz. A wrong or missing
//                       password gets HTTP 200 with the daemon's Unauthorized JSON-RPC body
//                       instead of the upgrade. The client may send {"xpub":"KEY"} once to
//                       receive only that wallet's events plus global ones.
//   any other path      404
//
// Control routes for tests (plain HTTP, no auth):
//   POST /_test/send       {"count":N,"wallet":"KEY"|null,"size":S,"sizes":[...],"seq_start":K}
//                          sends N messages {"updates":[{"event":"new_transaction",
//                          "tx":"<S chars>","seq":K+i}],"wallet":...,"currency":"BTC"} to every
//                          matching client. "sizes" (cycled) overrides "size". tx character j of
//                          event seq is "abcdefghijklmnopqrstuvwxyz"[(seq + j) % 26].
//                          "end":true then ends the TCP connection (FIN right after the data,
//                          no close frame), as a daemon that exits would.
//   POST /_test/close      {"code":C,"reason":"..."}: close every client with that code
//                          (no code: an empty close frame). "end":true sends the FIN right after
//                          the close frame instead of waiting for the client's close frame.
//   POST /_test/terminate  drop every client's TCP connection without a close frame
//   GET  /_test/stats      counters (see stats() below)
//   GET  /_test/subscription  the text of the last message a client sent ("" if none)
//
// Prints "PORT <n>" on stdout once it listens on 127.0.0.1. Exits on SIGTERM / SIGINT.
'use strict';

const http = require('http');
const { WebSocketServer } = require('ws');

const USER = 'electrum';
const PASSWORD = 'electrumz';
const UNAUTHORIZED = '{"jsonrpc":"2.0","error":{"code":-32600,"message":"Unauthorized"},"id":null}';
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz';

const counters = {
  upgrades: 0,        // websocket handshake requests on /ws (any credentials)
  auth_failures: 0,   // of those, refused for credentials
  connections: 0,     // websocket connections opened
  pings: 0,           // ping frames received from clients
  messages: 0,        // text messages received from clients
  closes: 0,          // websocket connections that ended
  last_close_code: 0, // the close code ws reported for the last ended connection (1006: no close frame)
  sent: 0,            // event messages sent
};
let lastSubscription = '';
let lastCloseReason = '';
const clients = new Set();   // { ws, sub (wallet key or null), text (last message), pings }

function authorized(req) {
  const h = req.headers.authorization || '';
  const m = /^Basic\s+(\S+)$/i.exec(h);
  if (!m) return false;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon >= 0 && decoded.slice(0, colon) === USER && decoded.slice(colon + 1) === PASSWORD;
}

function txText(seq, size) {
  const out = Buffer.allocUnsafe(size);
  for (let j = 0; j < size; j++) out[j] = ALPHABET.charCodeAt((seq + j) % 26);
  return out.toString('latin1');
}

function stats() {
  const open = [];
  for (const c of clients) open.push({ client_subscription: c.text.slice(0, 120), client_pings: c.pings });
  return Object.assign({}, counters, {
    open: clients.size,
    last_subscription: lastSubscription.slice(0, 200),
    last_close_reason: lastCloseReason.slice(0, 200),
    clients: open.slice(0, 8),
  });
}

function reply(res, status, body) {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req) {
  return new Promise((resolve) => {
    const parts = [];
    req.on('data', (d) => parts.push(d));
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
  });
}

function sendEvents(p) {
  const count = Number.isInteger(p.count) ? p.count : 1;
  const wallet = typeof p.wallet === 'string' ? p.wallet : null;
  const sizes = Array.isArray(p.sizes) && p.sizes.length ? p.sizes : [Number.isInteger(p.size) ? p.size : 10];
  const seqStart = Number.isInteger(p.seq_start) ? p.seq_start : 0;
  let delivered = 0;
  for (let i = 0; i < count; i++) {
    const seq = seqStart + i;
    const msg = JSON.stringify({
      updates: [{ event: 'new_transaction', tx: txText(seq, sizes[i % sizes.length]), seq }],
      wallet,
      currency: 'BTC',
    });
    for (const c of clients) {
      // the daemon's rule: a subscribed client gets its wallet's events and global ones
      if (c.sub !== null && wallet !== null && wallet !== c.sub) continue;
      if (c.ws.readyState !== c.ws.OPEN) continue;
      c.ws.send(msg);
      delivered++;
    }
  }
  if (p.end === true) for (const c of clients) c.socket.end();
  counters.sent += delivered;
  return { count, delivered };
}

const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, clientTracking: false });

wss.on('connection', (ws, req) => {
  const c = { ws, socket: req.socket, sub: null, text: '', pings: 0 };
  clients.add(c);
  counters.connections++;
  ws.on('ping', () => { counters.pings++; c.pings++; });   // ws answers with a pong by itself
  ws.on('message', (data, isBinary) => {
    if (isBinary) return;
    const text = data.toString('utf8');
    counters.messages++;
    c.text = text;
    lastSubscription = text;
    let v;
    try { v = JSON.parse(text); } catch (e) { return; }          // invalid JSON: ignored
    if (v === null || typeof v !== 'object' || Array.isArray(v)) { ws.terminate(); return; }
    if (typeof v.xpub === 'string') c.sub = v.xpub;
  });
  ws.on('close', (code, reason) => {
    clients.delete(c);
    counters.closes++;
    counters.last_close_code = code;
    lastCloseReason = reason.toString('utf8');
  });
  ws.on('error', () => {});
});

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, 'http://127.0.0.1');
  const body = await readBody(req);
  if (url.pathname.startsWith('/_test/')) {
    let p = {};
    if (body) {
      try { p = JSON.parse(body); } catch (e) { reply(res, 400, { error: 'bad JSON' }); return; }
    }
    switch (req.method + ' ' + url.pathname) {
      case 'POST /_test/send':
        reply(res, 200, sendEvents(p));
        return;
      case 'POST /_test/close': {
        let n = 0;
        for (const c of clients) {
          if (Number.isInteger(p.code)) c.ws.close(p.code, typeof p.reason === 'string' ? p.reason : '');
          else c.ws.close();
          if (p.end === true) c.socket.end();
          n++;
        }
        reply(res, 200, { closed: n });
        return;
      }
      case 'POST /_test/terminate': {
        let n = 0;
        for (const c of clients) { c.ws.terminate(); n++; }
        reply(res, 200, { terminated: n });
        return;
      }
      case 'GET /_test/stats':
        reply(res, 200, stats());
        return;
      case 'GET /_test/subscription':
        res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(lastSubscription) });
        res.end(lastSubscription);
        return;
      default:
        reply(res, 404, { error: 'no such control route' });
        return;
    }
  }
  if (url.pathname !== '/ws') { reply(res, 404, '404: Not Found'); return; }
  if (!authorized(req)) { reply(res, 200, UNAUTHORIZED); return; }
  reply(res, 400, 'Expected a websocket upgrade');
});

server.on('upgrade', (req, socket, head) => {
  const url = new URL(req.url, 'http://127.0.0.1');
  socket.on('error', () => {});
  if (url.pathname !== '/ws') {
    socket.end('HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 14\r\n'
               + 'Connection: close\r\n\r\n404: Not Found');
    return;
  }
  counters.upgrades++;
  if (!authorized(req)) {
    counters.auth_failures++;
    socket.end('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: '
               + Buffer.byteLength(UNAUTHORIZED) + '\r\nConnection: close\r\n\r\n' + UNAUTHORIZED);
    return;
  }
  wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
});

function shutdown() {
  for (const c of clients) c.ws.terminate();
  server.close();
  process.exit(0);
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);

server.listen(0, '127.0.0.1', () => {
  process.stdout.write('PORT ' + server.address().port + '\n');
});
