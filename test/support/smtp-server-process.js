'use strict';
// A real SMTP server (the smtp-server package) in its own process, for the email channel's tests.
// The parent (child_process.fork) gets {port} once it listens, then one {mail} message per
// accepted message: envelope, the authenticated user and the raw RFC 5322 text. Messages from the
// parent script the next answers: {fail: [{code, message}]} makes the next DATA commands fail.
const { SMTPServer } = require('smtp-server');

const requireAuth = process.env.SMTP_AUTH_USER !== undefined;
const failures = [];
process.on('message', (m) => { if (m && Array.isArray(m.fail)) failures.push(...m.fail); });

const server = new SMTPServer({
  authOptional: !requireAuth,
  disabledCommands: requireAuth ? [] : ['AUTH'],
  allowInsecureAuth: true,
  hideSTARTTLS: true,
  logger: false,
  onAuth(auth, session, cb) {
    if (auth.username === process.env.SMTP_AUTH_USER && auth.password === process.env.SMTP_AUTH_PASS) return cb(null, { user: auth.username });
    const err = new Error('Authentication credentials invalid');
    err.responseCode = 535;
    return cb(err);
  },
  onData(stream, session, cb) {
    const chunks = [];
    stream.on('data', (c) => chunks.push(c));
    stream.on('end', () => {
      const fail = failures.shift();
      if (fail) {
        const err = new Error(fail.message);
        err.responseCode = fail.code;
        return cb(err);
      }
      process.send({ mail: { from: session.envelope.mailFrom && session.envelope.mailFrom.address, to: session.envelope.rcptTo.map((r) => r.address), user: session.user || null, raw: Buffer.concat(chunks).toString('utf8') } });
      return cb(null, 'Message queued as test');
    });
  },
});
server.listen(0, '127.0.0.1', () => process.send({ port: server.server.address().port }));
process.on('disconnect', () => server.close(() => process.exit(0)));
