'use strict';
// Preloaded into a tapctl process under test (NODE_OPTIONS=--require): every TCP connection to a
// host other than this machine's loopback fails, and says so on stderr, so a test can check that the
// command reached nothing but the fakes. HTTP, HTTPS, fetch and gRPC all connect through
// net.Socket.prototype.connect.
const net = require('node:net');

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);
const connect = net.Socket.prototype.connect;

net.Socket.prototype.connect = function (...args) {
  // net.connect() passes its normalised arguments as one array: [options, callback].
  const first = Array.isArray(args[0]) ? args[0][0] : args[0];
  const options = typeof first === 'object' && first !== null ? first : { port: first, host: args[1] };
  const host = options.host ?? 'localhost';
  if (options.path == null && !LOOPBACK.has(host)) {
    process.stderr.write(`loopback-only: blocked a connection to ${host}:${options.port}\n`);
    process.nextTick(() => this.destroy(new Error(`loopback-only: no network in tests (${host}:${options.port})`)));
    return this;
  }
  return connect.apply(this, args);
};
