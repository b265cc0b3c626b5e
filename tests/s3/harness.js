#!/usr/bin/env node
// harness.js - the front of the loopback S3 for rayhist's s3:// tests: a
// proxy before a Ceph RADOS Gateway (tests/s3/rgw.sh) that can inject
// faults, counts requests, and stands in for STS (AssumeRoleWithWebIdentity).
//
//   node harness.js --upstream http://127.0.0.1:PORT --ports-file FILE
//        --access-key-id ID --secret-access-key SECRET [--bucket NAME]...
//        [--region R] [--sts-token TOKEN [--sts-role ARN]
//         [--sts-duration SECONDS] [--sts-valid SECONDS] [--sts-uses N]]
//        [--tls-cert PEM --tls-key PEM] [--faults SPEC] [--log FILE]
//
// ID/SECRET are an RGW user's keys; the buckets are created for that user.
// FILE receives {"s3": port, "control": port, "sts": port, "upstream": port}
// once all listen on 127.0.0.1. The control port answers GET /stats (JSON
// counters), POST /faults?SPEC (new fault settings) and POST /reset
// (counters to 0). SPEC: "share=0.2;kinds=500,503,429,reset,reset_after,
// delay,truncate;delay_ms=4000;seed=7;ops=get,put,...;latency_ms=35" - each
// request waits latency_ms before it is served (a distant server), and each S3 request
// fails with probability `share`, in one of `kinds` picked at random:
//   500, 503, 429  an S3 error answer (InternalError, SlowDown, SlowDown)
//   reset          the connection is closed before the request is served
//   reset_after    the request is served, then the connection closed
//                  instead of answering (the client cannot know it worked)
//   delay          nothing happens for delay_ms, then the connection closes
//   truncate       the answer is cut in the middle of its body
//
// Requests signed with the RGW user's keys go to RGW as they came (Host
// header, signature and all): RGW checks the SigV4 signature and the
// x-amz-content-sha256 payload hash itself. Only two things are checked
// here first, because RGW does not do them as AWS does: the region of the
// credential scope (RGW accepts any; AWS answers AuthorizationHeaderMalformed
// naming the bucket's region), and requests signed with the temporary keys
// our STS hands out, or addressed virtual-hosted style (RGW has no
// rgw_dns_name here): those are verified here with the same rules and sent
// on re-signed with the user's keys, path-style.
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const http = require('http');
const https = require('https');

// ------------------------------------------------------------------ args
const args = { bucket: [] };
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i];
  if (!a.startsWith('--')) throw new Error(`bad argument ${a}`);
  const k = a.slice(2).replace(/-/g, '_');
  const v = process.argv[++i];
  if (k === 'bucket') args.bucket.push(v);
  else args[k] = v;
}
const REGION = args.region || 'us-east-1';
const creds = new Map(); // access key id -> { secret, token, expires }
if (args.access_key_id)
  creds.set(args.access_key_id, { secret: args.secret_access_key, token: null, expires: 0 });

// ------------------------------------------------------------------ stats
let stats;
function resetStats() {
  stats = { requests: 0, connections: 0, faults: 0, signature_failures: 0, sts_calls: 0,
    ops: {}, bytes_in: 0, bytes_out: 0, resigned: 0, upstream_errors: {}, depth: 0 };
}
resetStats();

let faults = { share: 0, kinds: [], delay_ms: 4000, ops: null, latency_ms: 0 };
let rngState = 1;
function rng() { // mulberry32: reproducible with seed=
  rngState = (rngState + 0x6d2b79f5) >>> 0;
  let t = rngState;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
function parseFaults(spec) {
  const f = { share: 0, kinds: ['500', '503', '429', 'reset', 'delay'], delay_ms: 4000, ops: null, latency_ms: 0 };
  for (const part of (spec || '').split(/[;&]/)) {
    if (!part) continue;
    const [k, v] = part.split('=');
    if (k === 'share') f.share = Number(v);
    else if (k === 'kinds') f.kinds = v.split(',');
    else if (k === 'delay_ms') f.delay_ms = Number(v);
    else if (k === 'seed') rngState = Number(v) >>> 0;
    else if (k === 'ops') f.ops = v.split(',');
    else if (k === 'latency_ms') f.latency_ms = Number(v);
    else throw new Error(`unknown fault setting ${k}`);
  }
  return f;
}
faults = parseFaults(args.faults);

let logFd = args.log ? fs.openSync(args.log, 'a') : null;
function log(line) { if (logFd !== null) fs.writeSync(logFd, line + '\n'); }

// ------------------------------------------------------------------ sigv4
const UNRESERVED = /[A-Za-z0-9\-._~]/;
function pctDecode(s, plusIsSpace) { // -> Buffer of bytes
  const out = [];
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '%' && /^[0-9a-fA-F]{2}$/.test(s.slice(i + 1, i + 3))) {
      out.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (c === '+' && plusIsSpace) {
      out.push(0x20);
    } else {
      for (const b of Buffer.from(c, 'utf8')) out.push(b);
    }
  }
  return Buffer.from(out);
}
function uriEncode(bytes, keepSlash) {
  let s = '';
  for (const b of bytes) {
    const c = String.fromCharCode(b);
    if ((b < 0x80 && UNRESERVED.test(c)) || (keepSlash && c === '/')) s += c;
    else s += '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return s;
}
const sha256hex = (data) => crypto.createHash('sha256').update(data).digest('hex');
const hmac = (key, data) => crypto.createHmac('sha256', key).update(data).digest();

function canonicalQuery(raw) {
  if (!raw) return '';
  const params = raw.split('&').filter(p => p.length).map(p => {
    const eq = p.indexOf('=');
    const name = eq < 0 ? p : p.slice(0, eq);
    const value = eq < 0 ? '' : p.slice(eq + 1);
    return [uriEncode(pctDecode(name, true)), uriEncode(pctDecode(value, true))];
  });
  params.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return params.map(([n, v]) => `${n}=${v}`).join('&');
}

class S3Fail extends Error {
  constructor(status, code, message, extra) { super(message); this.status = status; this.code = code; this.extra = extra || {}; }
}

// Check the request's signature as S3 does; throws S3Fail.
function verify(req, body) {
  const auth = req.headers.authorization;
  if (!auth) throw new S3Fail(403, 'AccessDenied', 'Access Denied (anonymous requests are not allowed here)');
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([a-z0-9;\-]+), ?Signature=([0-9a-f]{64})$/.exec(auth);
  if (!m) throw new S3Fail(400, 'AuthorizationHeaderMalformed', 'The authorization header is malformed.');
  const [, akid, scopeDate, region, service, signedHeaders, signature] = m;
  const cred = creds.get(akid);
  if (!cred) throw new S3Fail(403, 'InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.');
  if (region !== REGION)
    throw new S3Fail(400, 'AuthorizationHeaderMalformed', `The authorization header is malformed; the region '${region}' is wrong; expecting '${REGION}'`, { Region: REGION });
  if (service !== 's3') throw new S3Fail(400, 'AuthorizationHeaderMalformed', `wrong service ${service}`);
  const amzDate = req.headers['x-amz-date'];
  if (!amzDate || !/^\d{8}T\d{6}Z$/.test(amzDate)) throw new S3Fail(403, 'AccessDenied', 'AWS authentication requires a valid Date or x-amz-date header');
  if (amzDate.slice(0, 8) !== scopeDate) throw new S3Fail(403, 'SignatureDoesNotMatch', 'the credential scope date is not the request date');
  const t = Date.UTC(+amzDate.slice(0, 4), +amzDate.slice(4, 6) - 1, +amzDate.slice(6, 8), +amzDate.slice(9, 11), +amzDate.slice(11, 13), +amzDate.slice(13, 15));
  if (Math.abs(Date.now() - t) > 15 * 60 * 1000) throw new S3Fail(403, 'RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.');
  const payloadHash = req.headers['x-amz-content-sha256'];
  if (!payloadHash) throw new S3Fail(400, 'InvalidRequest', 'Missing required header for this request: x-amz-content-sha256');
  if (payloadHash.startsWith('STREAMING-')) throw new S3Fail(501, 'NotImplemented', 'streaming payloads are not supported by this test server');
  if (payloadHash !== 'UNSIGNED-PAYLOAD') {
    if (!/^[0-9a-f]{64}$/.test(payloadHash)) throw new S3Fail(400, 'InvalidArgument', 'x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-... or a valid sha256 value.');
    if (sha256hex(body) !== payloadHash) throw new S3Fail(400, 'XAmzContentSHA256Mismatch', "The provided 'x-amz-content-sha256' header does not match what was computed.");
  }
  const names = signedHeaders.split(';');
  const sorted = [...names].sort();
  if (names.join(';') !== sorted.join(';')) throw new S3Fail(403, 'SignatureDoesNotMatch', 'SignedHeaders are not sorted');
  for (const h of ['host', 'x-amz-date', 'x-amz-content-sha256'])
    if (!names.includes(h)) throw new S3Fail(403, 'AccessDenied', `There were headers present in the request which were not signed: ${h}`);
  for (const h of Object.keys(req.headers))
    if (h.startsWith('x-amz-') && !names.includes(h))
      throw new S3Fail(403, 'AccessDenied', `There were headers present in the request which were not signed: ${h}`);
  if (cred.token !== null) {
    if (req.headers['x-amz-security-token'] !== cred.token) throw new S3Fail(403, 'InvalidToken', 'The provided token is malformed or otherwise invalid.');
    if (Date.now() > cred.expires || --cred.uses < 0) throw new S3Fail(400, 'ExpiredToken', 'The provided token has expired.');
  }
  const q = req.url.indexOf('?');
  const rawPath = q < 0 ? req.url : req.url.slice(0, q);
  const rawQuery = q < 0 ? '' : req.url.slice(q + 1);
  const canonicalHeaders = names.map(n => {
    const v = req.headers[n];
    if (v === undefined) throw new S3Fail(403, 'SignatureDoesNotMatch', `signed header ${n} is missing`);
    return `${n}:${String(v).trim().replace(/\s+/g, ' ')}\n`;
  }).join('');
  const canonicalRequest = [req.method, uriEncode(pctDecode(rawPath, false), true), canonicalQuery(rawQuery),
    canonicalHeaders, signedHeaders, payloadHash].join('\n');
  const scope = `${scopeDate}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256hex(canonicalRequest)].join('\n');
  let k = hmac('AWS4' + cred.secret, scopeDate);
  k = hmac(k, region);
  k = hmac(k, service);
  k = hmac(k, 'aws4_request');
  const expected = crypto.createHmac('sha256', k).update(stringToSign).digest('hex');
  if (expected !== signature) {
    stats.signature_failures++;
    throw new S3Fail(403, 'SignatureDoesNotMatch',
      'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
      { AWSAccessKeyId: akid, StringToSign: stringToSign, CanonicalRequest: canonicalRequest });
  }
}

const xmlEscape = s => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
function sendError(res, status, code, message, extra, resource) {
  let x = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${xmlEscape(message)}</Message>`;
  for (const [k, v] of Object.entries(extra || {})) x += `<${k}>${xmlEscape(v)}</${k}>`;
  x += `<Resource>${xmlEscape(resource || '')}</Resource><RequestId>rh${Date.now()}</RequestId></Error>`;
  res.writeHead(status, { 'Content-Type': 'application/xml', 'Content-Length': Buffer.byteLength(x) });
  res.end(x);
}

function opName(method, url) {
  const q = new URLSearchParams(url.includes('?') ? url.slice(url.indexOf('?') + 1) : '');
  const p = url.split('?')[0].split('/').filter(Boolean);
  if (method === 'GET' && q.has('list-type')) return 'list';
  if (method === 'GET' && p.length <= 1) return 'list_v1';
  if (method === 'PUT' && q.has('partNumber')) return 'upload_part';
  if (method === 'POST' && q.has('uploads')) return 'create_mpu';
  if (method === 'POST' && q.has('uploadId')) return 'complete_mpu';
  if (method === 'DELETE' && q.has('uploadId')) return 'abort_mpu';
  if (method === 'POST' && q.has('delete')) return 'delete_many';
  return method.toLowerCase();
}

// ------------------------------------------------------------------ proxy
let up = null; // { host, port } of RGW

// The key id and region of a request's credential scope, or null.
function scopeOf(req) {
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/\d{8}\/([^/]+)\//.exec(req.headers.authorization || '');
  return m ? { akid: m[1], region: m[2] } : null;
}

function amzNow() {
  return new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

// Sign headers (lower-case names) for RGW with the user's keys: host, and
// every x-amz-* header but the session token (RGW knows none of ours).
function signUpstream(method, rawPath, rawQuery, headers) {
  delete headers.authorization;
  delete headers['x-amz-security-token'];
  headers.host = `${up.host}:${up.port}`;
  const amzDate = amzNow();
  headers['x-amz-date'] = amzDate;
  const payloadHash = headers['x-amz-content-sha256'];
  const names = Object.keys(headers).filter(h => h === 'host' || h.startsWith('x-amz-')).sort();
  const canonicalHeaders = names.map(n => `${n}:${String(headers[n]).trim().replace(/\s+/g, ' ')}\n`).join('');
  const canonicalRequest = [method, uriEncode(pctDecode(rawPath, false), true), canonicalQuery(rawQuery),
    canonicalHeaders, names.join(';'), payloadHash].join('\n');
  const day = amzDate.slice(0, 8);
  const scope = `${day}/${REGION}/s3/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256hex(canonicalRequest)].join('\n');
  let k = hmac('AWS4' + args.secret_access_key, day);
  k = hmac(k, REGION);
  k = hmac(k, 's3');
  k = hmac(k, 'aws4_request');
  const sig = crypto.createHmac('sha256', k).update(stringToSign).digest('hex');
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${args.access_key_id}/${scope}, SignedHeaders=${names.join(';')}, Signature=${sig}`;
}

// Send a request to RGW; `after` is the fault to apply to its answer.
function forward(req, res, body, headers, path, after) {
  headers['content-length'] = String(body.length);
  delete headers['transfer-encoding'];
  delete headers.connection;
  const ureq = http.request({ host: up.host, port: up.port, method: req.method, path, headers }, (ur) => {
    if (after === 'reset_after') {
      ur.resume();
      ur.on('end', () => req.socket.destroy());
      return;
    }
    if (ur.statusCode >= 400 && req.method !== 'HEAD') {
      // keep the error body: its code goes to the log and the counters
      const chunks = [];
      ur.on('data', c => chunks.push(c));
      ur.on('end', () => {
        const all = Buffer.concat(chunks);
        const code = (/<Code>([^<]*)<\/Code>/.exec(all.toString('utf8')) || [])[1] || String(ur.statusCode);
        noteError(ur.statusCode, code);
        res.writeHead(ur.statusCode, ur.headers);
        res.end(all);
      });
      return;
    }
    if (ur.statusCode >= 400) noteError(ur.statusCode, String(ur.statusCode));
    res.writeHead(ur.statusCode, ur.headers);
    if (after === 'truncate') {
      const chunks = [];
      ur.on('data', c => chunks.push(c));
      ur.on('end', () => {
        const all = Buffer.concat(chunks);
        if (all.length < 2) { res.end(all); return; }
        res.write(all.slice(0, all.length >> 1), () => setTimeout(() => req.socket.destroy(), 20));
      });
      return;
    }
    ur.on('data', c => { stats.bytes_out += c.length; });
    ur.pipe(res);
  });
  ureq.on('error', e => sendError(res, 502, 'BadGateway', e.message));
  ureq.end(body);
}

function noteError(status, code) {
  const k = `${status} ${code}`;
  stats.upstream_errors[k] = (stats.upstream_errors[k] || 0) + 1;
  if (code === 'SignatureDoesNotMatch' || code === 'XAmzContentSHA256Mismatch') stats.signature_failures++;
  log(`  -> ${k} (RGW)`);
}

// Sequential depth: the longest chain of requests each sent after the one
// before it was answered - the round trips a client waited for in turn,
// whatever it sent in parallel. A request arriving once requests of depth d
// have been answered is at depth d + 1.
function handle(req, res, body) {
  const depth = stats.depth + 1, st = stats;
  res.on('close', () => { if (depth > st.depth) st.depth = depth; });
  if (faults.latency_ms > 0) setTimeout(() => handle1(req, res, body), faults.latency_ms);
  else handle1(req, res, body);
}

function handle1(req, res, body) {
  stats.requests++;
  stats.bytes_in += body.length;
  const op = opName(req.method, req.url);
  stats.ops[op] = (stats.ops[op] || 0) + 1;
  const fault = faults.share > 0 && (!faults.ops || faults.ops.includes(op)) && rng() < faults.share
    ? faults.kinds[Math.floor(rng() * faults.kinds.length)] : null;
  log(`${req.method} ${req.url} ${op}${fault ? ' FAULT ' + fault : ''}`);
  if (fault) stats.faults++;
  if (fault === 'reset') { req.socket.destroy(); return; }
  if (fault === 'delay') { setTimeout(() => req.socket.destroy(), faults.delay_ms); return; }
  if (fault === '500') return sendError(res, 500, 'InternalError', 'We encountered an internal error. Please try again.');
  if (fault === '503') return sendError(res, 503, 'SlowDown', 'Please reduce your request rate.');
  if (fault === '429') return sendError(res, 429, 'SlowDown', 'Please reduce your request rate.');
  const headers = { ...req.headers };
  const q = req.url.indexOf('?');
  const rawPath = q < 0 ? req.url : req.url.slice(0, q);
  const rawQuery = q < 0 ? '' : req.url.slice(q + 1);
  // virtual-hosted style: bucket.localhost:port
  const vh = /^([^.:]+)\.localhost(:\d+)?$/.exec(req.headers.host || '');
  const scope = scopeOf(req);
  const temporary = scope && scope.akid !== args.access_key_id && creds.has(scope.akid);
  try {
    if (scope && scope.region !== REGION)
      throw new S3Fail(400, 'AuthorizationHeaderMalformed', `The authorization header is malformed; the region '${scope.region}' is wrong; expecting '${REGION}'`, { Region: REGION });
    if (vh || temporary) {
      verify(req, body);
      stats.resigned++;
      const path = vh ? `/${vh[1]}${rawPath.startsWith('/') ? rawPath : '/' + rawPath}` : rawPath;
      signUpstream(req.method, path, rawQuery, headers);
      return forward(req, res, body, headers, path + (q < 0 ? '' : '?' + rawQuery), fault);
    }
  } catch (e) {
    if (!(e instanceof S3Fail)) throw e;
    log(`  -> ${e.status} ${e.code}`);
    return sendError(res, e.status, e.code, e.message, e.extra, req.url);
  }
  // as it came: RGW checks the signature; Expect is answered here already
  if (!/SignedHeaders=[^,]*\bexpect\b/.test(req.headers.authorization || '')) delete headers.expect;
  forward(req, res, body, headers, req.url, fault);
}

function collect(req, cb) {
  const chunks = [];
  req.on('data', c => chunks.push(c));
  req.on('end', () => cb(Buffer.concat(chunks)));
  req.on('error', () => {});
}

// ------------------------------------------------------------------ sts
function handleSts(req, res, body) {
  stats.sts_calls++;
  const p = new URLSearchParams(body.toString('utf8'));
  const fail = (status, code, message) => {
    const x = `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${xmlEscape(message)}</Message></Error><RequestId>x</RequestId></ErrorResponse>`;
    res.writeHead(status, { 'Content-Type': 'text/xml' });
    res.end(x);
  };
  if (req.method !== 'POST' || p.get('Action') !== 'AssumeRoleWithWebIdentity' || p.get('Version') !== '2011-06-15')
    return fail(400, 'InvalidAction', 'Could not find operation');
  if (p.get('WebIdentityToken') !== args.sts_token)
    return fail(400, 'InvalidIdentityToken', 'Couldn\'t retrieve verification key from your identity provider');
  if (args.sts_role && p.get('RoleArn') !== args.sts_role)
    return fail(403, 'AccessDenied', 'Not authorized to perform sts:AssumeRoleWithWebIdentity');
  const akid = 'ASIA' + crypto.randomBytes(8).toString('hex').toUpperCase();
  const secret = crypto.randomBytes(20).toString('base64');
  const token = 'FwoG' + crypto.randomBytes(48).toString('base64');
  const duration = Number(args.sts_duration || p.get('DurationSeconds') || 3600);
  const expires = Date.now() + duration * 1000;
  // --sts-valid: the keys stop working sooner than the answer says, as
  // when S3 revokes them; the client must renew on ExpiredToken.
  // --sts-uses N: or after N requests, which a test can rely on.
  const valid = args.sts_valid ? Date.now() + Number(args.sts_valid) * 1000 : expires;
  creds.set(akid, { secret, token, expires: valid, uses: args.sts_uses ? Number(args.sts_uses) : Infinity });
  const x = `<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleWithWebIdentityResult>
    <SubjectFromWebIdentityToken>system:serviceaccount:ns:sa</SubjectFromWebIdentityToken>
    <Credentials>
      <SessionToken>${xmlEscape(token)}</SessionToken>
      <SecretAccessKey>${xmlEscape(secret)}</SecretAccessKey>
      <Expiration>${new Date(expires).toISOString()}</Expiration>
      <AccessKeyId>${akid}</AccessKeyId>
    </Credentials>
    <AssumedRoleUser><Arn>${xmlEscape(p.get('RoleArn'))}/${xmlEscape(p.get('RoleSessionName'))}</Arn><AssumedRoleId>AROA:x</AssumedRoleId></AssumedRoleUser>
  </AssumeRoleWithWebIdentityResult>
  <ResponseMetadata><RequestId>x</RequestId></ResponseMetadata>
</AssumeRoleWithWebIdentityResponse>`;
  res.writeHead(200, { 'Content-Type': 'text/xml' });
  res.end(x);
}

// ------------------------------------------------------------------ control
function handleControl(req, res) {
  const [p, q] = req.url.split('?');
  if (req.method === 'GET' && p === '/stats') {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    return res.end(JSON.stringify(stats));
  }
  if (req.method === 'POST' && p === '/faults') {
    try { faults = parseFaults(decodeURIComponent(q || '')); } catch (e) { res.writeHead(400); return res.end(e.message); }
    res.writeHead(204); return res.end();
  }
  if (req.method === 'POST' && p === '/reset') { resetStats(); res.writeHead(204); return res.end(); }
  res.writeHead(404); res.end();
}

// ------------------------------------------------------------------ main
async function listen(server) {
  await new Promise((resolve, reject) => server.listen(0, '127.0.0.1', e => (e ? reject(e) : resolve())));
  return server.address().port;
}

// Create the buckets (already there is fine: RGW answers 409
// BucketAlreadyOwnedByYou).
function createBucket(name) {
  return new Promise((resolve, reject) => {
    const headers = { 'x-amz-content-sha256': sha256hex('') };
    signUpstream('PUT', `/${name}`, '', headers);
    headers['content-length'] = '0';
    const r = http.request({ host: up.host, port: up.port, method: 'PUT', path: `/${name}`, headers }, (ur) => {
      const chunks = [];
      ur.on('data', c => chunks.push(c));
      ur.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if (ur.statusCode === 200 || /BucketAlreadyOwnedByYou/.test(text)) resolve();
        else reject(new Error(`creating bucket ${name}: ${ur.statusCode} ${text}`));
      });
    });
    r.on('error', reject);
    r.end();
  });
}

async function main() {
  const u = new URL(args.upstream);
  up = { host: u.hostname, port: Number(u.port) };
  for (const b of args.bucket) await createBucket(b);
  const tls = args.tls_cert ? { cert: fs.readFileSync(args.tls_cert), key: fs.readFileSync(args.tls_key) } : null;
  const onReq = (req, res) => collect(req, body => handle(req, res, body));
  const proxy = tls ? https.createServer(tls, onReq) : http.createServer(onReq);
  proxy.keepAliveTimeout = 60000;
  proxy.on(tls ? 'secureConnection' : 'connection', () => { stats.connections++; });
  const control = http.createServer(handleControl);
  const sts = http.createServer((req, res) => collect(req, body => handleSts(req, res, body)));
  const ports = { s3: await listen(proxy), control: await listen(control), sts: await listen(sts), upstream: up.port };
  const tmp = args.ports_file + '.tmp';
  fs.writeFileSync(tmp, JSON.stringify(ports) + '\n');
  fs.renameSync(tmp, args.ports_file);
  const stop = () => process.exit(0);
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // Never outlive the test that started us.
  if (process.env.RH_HARNESS_MAX_SECONDS)
    setTimeout(stop, Number(process.env.RH_HARNESS_MAX_SECONDS) * 1000).unref();
}

main().catch(e => { console.error(`harness: ${e.stack || e}`); process.exit(1); });
