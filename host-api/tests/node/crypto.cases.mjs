// Cases for createHmac, createHash, timingSafeEqual, randomBytes, randomUUID and getRandomValues:
// official webhook signature vectors, RFC 2202 / 4231 HMAC vectors, and Node's odd corners.
// Each `code` is the body of an async function; generate.mjs records what Node 20 returns.

const hmacHex = (alg, key, data) => `return createHmac(${JSON.stringify(alg)}, ${key}).update(${data}).digest('hex')`
const rfc4231 = (key, data) => `const key = ${key}, data = ${data}
return ['sha224', 'sha256', 'sha384', 'sha512'].map((alg) => createHmac(alg, key).update(data).digest('hex'))`

export default [
  // Official signature vectors (tests/../providers.md).
  {
    name: 'github X-Hub-Signature-256 docs vector',
    code: `const sig = 'sha256=' + createHmac('sha256', "It's a Secret to Everybody").update('Hello, World!').digest('hex')
return [sig, sig === 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17']`,
  },
  {
    name: 'github signature checked in constant time',
    code: `const { timingSafeEqual } = await import('node:crypto')
const header = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17'
const raw = Buffer.from('Hello, World!')
const expected = Buffer.from('sha256=' + createHmac('sha256', "It's a Secret to Everybody").update(raw).digest('hex'))
const forged = Buffer.from(header.replace('757', '758'))
return [timingSafeEqual(expected, Buffer.from(header)), timingSafeEqual(expected, forged)]`,
  },
  {
    name: 'octokit webhooks-methods vectors',
    code: `return [createHmac('sha256', 'mysecret').update('{"foo":"bar"}').digest('hex') === '4864d2759938a15468b5df9ade20bf161da9b4f737ea61794142f3484236bda3',
  createHmac('sha256', 'secret').update('data').digest('hex') === '1b2c16b75bd2a870c114153ccda5bcfca63314bc722fa160d690de133ccbb9db']`,
  },
  {
    name: 'slack v0 signing docs vector',
    code: `const secret = '8f742231b10e8888abcd99yyyzzz85a5', timestamp = '1531420618'
const body = 'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c'
const sig = 'v0=' + createHmac('sha256', secret).update(\`v0:\${timestamp}:\${body}\`).digest('hex')
return [sig, sig === 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503']`,
  },
  {
    name: 'shopify base64 vector',
    code: `const sig = createHmac('sha256', 'test_secret_key').update('{"foo": "bar"}', 'utf8').digest('base64')
return [sig, sig === 'B23tXN681gZ0qIWNRrgtzBE9XSDo5yaUu6wfmhu3a7g=']`,
  },
  {
    name: 'trello sha1 base64 over body and callback',
    code: `return createHmac('sha1', 'secret').update('{"hello":"world"}' + 'https://example.com/webhooks').digest('base64')`,
  },
  {
    name: 'dropbox hex over raw body buffer',
    code: `return createHmac('sha256', 'the_secret').update(Buffer.from('{"delta": {"users": [12345]}}')).digest('hex')`,
  },
  {
    name: 'svix style base64 key and v1 signature',
    code: `const key = Buffer.from('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'base64')
return 'v1,' + createHmac('sha256', key).update('msg_p5jXN8AQM9LWM0D4loKWxJek.1614265330.{"test": 2432232314}').digest('base64')`,
  },
  // RFC 4231 (HMAC-SHA-224/256/384/512) and RFC 2202 (HMAC-MD5/SHA-1).
  { name: 'rfc4231 case 1', code: rfc4231("Buffer.alloc(20, 0x0b)", "'Hi There'") },
  { name: 'rfc4231 case 2', code: rfc4231("'Jefe'", "'what do ya want for nothing?'") },
  { name: 'rfc4231 case 3', code: rfc4231("Buffer.alloc(20, 0xaa)", "Buffer.alloc(50, 0xdd)") },
  { name: 'rfc4231 case 4', code: rfc4231("Buffer.from('0102030405060708090a0b0c0d0e0f10111213141516171819', 'hex')", "Buffer.alloc(50, 0xcd)") },
  { name: 'rfc4231 case 6', code: rfc4231("Buffer.alloc(131, 0xaa)", "'Test Using Larger Than Block-Size Key - Hash Key First'") },
  {
    name: 'rfc4231 case 7',
    code: rfc4231("Buffer.alloc(131, 0xaa)", "'This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.'"),
  },
  {
    name: 'rfc4231 case 1 and 2 sha256 against the rfc text',
    code: `return [createHmac('sha256', Buffer.alloc(20, 0x0b)).update('Hi There').digest('hex') === 'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7',
  createHmac('sha256', 'Jefe').update('what do ya want for nothing?').digest('hex') === '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843']`,
  },
  { name: 'rfc2202 md5 case 2', code: hmacHex('md5', "'Jefe'", "'what do ya want for nothing?'") },
  { name: 'rfc2202 sha1 case 1', code: hmacHex('sha1', "Buffer.alloc(20, 0x0b)", "'Hi There'") },
  { name: 'rfc2202 sha1 case 6 long key', code: hmacHex('sha1', "Buffer.alloc(80, 0xaa)", "'Test Using Larger Than Block-Size Key - Hash Key First'") },
  // Plain hashes.
  { name: 'hashes of empty input', code: `return ['md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512'].map((a) => createHash(a).digest('hex'))` },
  { name: 'hashes of abc', code: `return ['md5', 'sha1', 'sha256', 'sha384', 'sha512', 'sha512-256'].map((a) => createHash(a).update('abc').digest('hex'))` },
  { name: 'algorithm names in any case and alias', code: `return ['SHA256', 'sha-256', 'RSA-SHA256', 'sha256WithRSAEncryption', 'SHA-1', 'MD5', 'sha2-512'].map((a) => createHash(a).update('x').digest('hex').slice(0, 16))` },
  { name: 'unknown hash algorithm', code: `return createHash('nope')` },
  { name: 'unknown hmac algorithm', code: `return createHmac('nope', 'key')` },
  // Inputs of every kind.
  { name: 'unicode data and key', code: hmacHex('sha256', "'kéy 🔑'", "'héllo wörld ✓ 😀'") },
  { name: 'lone surrogate hashed as U+FFFD', code: `return [createHash('sha256').update('a\\ud800b').digest('hex') === createHash('sha256').update('a\\ufffdb').digest('hex'), createHash('md5').update('\\udc00').digest('hex')]` },
  { name: 'empty key and empty data', code: hmacHex('sha256', "''", "''") },
  { name: 'key as Uint8Array, ArrayBuffer and DataView', code: `const k = new Uint8Array([1, 2, 3, 250])
return [k, k.buffer, new DataView(k.buffer), Buffer.from(k)].map((key) => createHmac('sha1', key).update('m').digest('hex'))` },
  { name: 'key is a view into a larger buffer', code: `const all = Buffer.from('xxSECRETyy'); return createHmac('sha256', all.subarray(2, 8)).update('m').digest('hex') === createHmac('sha256', 'SECRET').update('m').digest('hex')` },
  { name: 'key string with hex encoding option', code: `return createHmac('sha256', '6b6579', { encoding: 'hex' }).update('x').digest('hex') === createHmac('sha256', 'key').update('x').digest('hex')` },
  { name: 'key string with base64 encoding option', code: `return createHmac('sha1', 'a2V5', { encoding: 'base64' }).update('x').digest('hex') === createHmac('sha1', 'key').update('x').digest('hex')` },
  { name: 'data as Uint16Array and DataView', code: `return [createHash('md5').update(new Uint16Array([0x6261])).digest('hex'), createHash('md5').update(new DataView(new Uint8Array([97, 98, 99]).buffer, 1, 2)).digest('hex')]` },
  { name: 'data as Float64Array bytes', code: `return createHash('sha1').update(new Float64Array([1.5, -2])).digest('hex')` },
  { name: 'chained updates with mixed encodings', code: `return createHash('sha256').update('48656c6c6f', 'hex').update(', ').update('V29y bGQ=', 'base64').update(Buffer.from('!')).update('\\u00e9', 'latin1').update('YQ', 'base64url').digest('base64')` },
  { name: 'update returns the same object', code: `const h = createHmac('md5', 'k'); return [h.update('a') === h, createHash('md5').update('a').update('b').digest('hex') === createHash('md5').update('ab').digest('hex')]` },
  { name: 'update with unknown input encoding reads utf8', code: `return createHash('md5').update('é', 'bogus').digest('hex') === createHash('md5').update('é').digest('hex')` },
  { name: 'update with odd-length hex', code: `return createHash('md5').update('abc', 'hex')` },
  { name: 'update with invalid hex hashes nothing', code: `return [createHash('md5').update('zz', 'hex').digest('hex'), createHash('md5').update('616z', 'hex').digest('hex') === createHash('md5').update('a').digest('hex')]` },
  { name: 'update with ucs2 input', code: `return createHash('md5').update('hé', 'ucs2').digest('hex')` },
  { name: 'one megabyte of data', code: `return createHash('sha256').update('x'.repeat(1 << 20)).digest('hex')` },
  // Digest encodings.
  { name: 'digest without encoding is a Buffer', code: `const d = createHash('sha256').update('abc').digest(); return [Buffer.isBuffer(d), d.length, d.toString('base64'), d.toString('hex').slice(0, 8)]` },
  { name: 'hmac digest Buffer to base64', code: `return createHmac('sha512', 'k').update('v').digest().toString('base64')` },
  { name: 'digest encodings', code: `return ['hex', 'base64', 'base64url', 'latin1', 'binary', 'ascii', 'HEX'].map((e) => createHash('md5').update('a').digest(e))` },
  { name: 'digest utf8 is lossy text', code: `return createHash('md5').update('a').digest('utf8')` },
  { name: 'digest ucs2', code: `const s = createHash('md5').update('a').digest('ucs2'); return Array.from(s, (c) => c.charCodeAt(0))` },
  { name: 'digest with unknown encoding gives a Buffer', code: `return [Buffer.isBuffer(createHash('md5').digest('bogus')), Buffer.isBuffer(createHash('md5').digest('buffer')), Buffer.isBuffer(createHash('md5').digest(''))]` },
  { name: 'digest with a symbol encoding', code: `return createHash('md5').digest(Symbol('hex'))` },
  { name: 'digest with an object encoding is read as its string', code: `return createHash('md5').update('a').digest({ toString: () => 'hex' })` },
  { name: 'hash digest twice', code: `const h = createHash('sha256'); h.digest('hex'); return h.digest('hex')` },
  { name: 'hash update after digest', code: `const h = createHash('sha256'); h.digest(); return h.update('x')` },
  { name: 'hash update after digest checks finalisation first', code: `const h = createHash('sha256'); h.digest(); return h.update(1)` },
  { name: 'hmac digest twice gives empty', code: `const h = createHmac('sha256', 'k'); h.digest('hex'); return [h.digest('hex'), h.digest().length, h.digest('base64')]` },
  { name: 'hmac update after digest', code: `const h = createHmac('sha256', 'k'); h.digest('hex'); return h.update('x')` },
  { name: 'hash copy', code: `const h = createHash('md5').update('a'); const c = h.copy(); return [h.digest('hex'), c.update('b').digest('hex')]` },
  // Wrong types.
  { name: 'createHash without algorithm', code: `return createHash()` },
  { name: 'createHash with number', code: `return createHash(256)` },
  { name: 'createHmac without key', code: `return createHmac('sha256')` },
  { name: 'createHmac with number key', code: `return createHmac('sha256', 42)` },
  { name: 'createHmac with null key', code: `return createHmac('sha256', null)` },
  { name: 'createHmac with object algorithm', code: `return createHmac({}, 'k')` },
  { name: 'update with number', code: `return createHash('md5').update(1)` },
  { name: 'update with null', code: `return createHash('md5').update(null)` },
  { name: 'update with nothing', code: `return createHash('md5').update()` },
  { name: 'update with ArrayBuffer', code: `return createHash('md5').update(new ArrayBuffer(2))` },
  { name: 'update with array', code: `return createHmac('md5', 'k').update([1, 2])` },
  // timingSafeEqual.
  { name: 'timingSafeEqual equal and not', code: `const { timingSafeEqual } = await import('crypto'); return [timingSafeEqual(Buffer.from('abc'), Buffer.from('abc')), timingSafeEqual(Buffer.from('abc'), Buffer.from('abd'))]` },
  { name: 'timingSafeEqual empty', code: `const { timingSafeEqual } = await import('crypto'); return timingSafeEqual(Buffer.alloc(0), new Uint8Array(0))` },
  { name: 'timingSafeEqual across view types', code: `const { timingSafeEqual } = await import('crypto'); return [timingSafeEqual(new Uint16Array([1]), new Uint8Array([1, 0])), timingSafeEqual(new DataView(new ArrayBuffer(2)), new ArrayBuffer(2))]` },
  { name: 'timingSafeEqual lengths differ', code: `const { timingSafeEqual } = await import('crypto'); return timingSafeEqual(Buffer.from('a'), Buffer.from('ab'))` },
  { name: 'timingSafeEqual strings', code: `const { timingSafeEqual } = await import('crypto'); return timingSafeEqual('a', 'a')` },
  { name: 'timingSafeEqual second not bytes', code: `const { timingSafeEqual } = await import('crypto'); return timingSafeEqual(Buffer.from('a'), [97])` },
  { name: 'timingSafeEqual without arguments', code: `const { timingSafeEqual } = await import('crypto'); return timingSafeEqual()` },
  // Randomness.
  { name: 'randomBytes', code: `const { randomBytes } = await import('node:crypto'); const b = randomBytes(32); return [Buffer.isBuffer(b), b.length, randomBytes(0).length, randomBytes(16).equals(randomBytes(16))]` },
  { name: 'randomBytes fractional size', code: `const { randomBytes } = await import('node:crypto'); return randomBytes(3.7).length` },
  { name: 'randomBytes with string size', code: `const { randomBytes } = await import('node:crypto'); return randomBytes('8')` },
  { name: 'randomBytes negative', code: `const { randomBytes } = await import('node:crypto'); return randomBytes(-1)` },
  { name: 'randomBytes NaN', code: `const { randomBytes } = await import('node:crypto'); return randomBytes(NaN)` },
  { name: 'randomBytes too large', code: `const { randomBytes } = await import('node:crypto'); return randomBytes(2 ** 31)` },
  { name: 'randomBytes with callback', code: `const { randomBytes } = await import('node:crypto'); const order = []
const got = await new Promise((resolve) => { const r = randomBytes(4, (err, buf) => { order.push('callback'); resolve([err, buf.length]) }); order.push(r === undefined ? 'returned undefined' : 'returned') })
return [got, order]` },
  { name: 'randomBytes with a non-function callback', code: `const { randomBytes } = await import('node:crypto'); return randomBytes(4, 'later')` },
  { name: 'randomUUID', code: `const { randomUUID } = await import('crypto'); const u = randomUUID(); return [/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(u), u !== randomUUID(), /^[0-9a-f-]{36}$/.test(crypto.randomUUID())]` },
  { name: 'getRandomValues fills and returns', code: `const a = new Uint32Array(8); const r = crypto.getRandomValues(a); return [r === a, a.some((x) => x !== 0), crypto.getRandomValues(new Uint8Array(0)).length]` },
  { name: 'getRandomValues of every integer kind', code: `return [Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array, BigInt64Array, BigUint64Array].map((T) => crypto.getRandomValues(new T(4)).length)` },
  { name: 'getRandomValues on a Buffer', code: `return Buffer.isBuffer(crypto.getRandomValues(Buffer.alloc(8)))` },
  { name: 'getRandomValues 65536 bytes', code: `return crypto.getRandomValues(new Uint8Array(65536)).length` },
  { name: 'getRandomValues over quota', code: `return crypto.getRandomValues(new Uint8Array(65537))` },
  { name: 'getRandomValues float array', code: `return crypto.getRandomValues(new Float32Array(2))` },
  { name: 'getRandomValues plain array', code: `return crypto.getRandomValues([1, 2])` },
  { name: 'getRandomValues DataView', code: `return crypto.getRandomValues(new DataView(new ArrayBuffer(4)))` },
  { name: 'node crypto getRandomValues', code: `const { getRandomValues } = await import('node:crypto'); return getRandomValues(new Uint16Array(3)).length` },
  // The module.
  { name: 'crypto module named and default exports agree', code: `const m = await import('crypto'); const n = await import('node:crypto')
return [typeof m.createHmac, typeof m.default.createHash, m.createHmac === n.createHmac, m.default.timingSafeEqual === m.timingSafeEqual,
  m.createHmac('sha1', 'k').update('v').digest('hex') === createHmac('sha1', 'k').update('v').digest('hex')]` },
]
