// TextEncoder and TextDecoder (WHATWG Encoding) for utf-8, utf-16le and windows-1252 (decoded as
// latin1, as Node 20 does), over `__host.encode`, `decode`, `isUtf8` and `utf8Tail`
// (host-api/src/encoding.rs). Tricky: a streaming decoder holds back the bytes of a character cut
// at the end of a chunk, and the BOM is skipped once per stream, not once per call.

const { encode, decode, isUtf8, utf8Tail } = globalThis.__host

const LABELS = new Map()
for (const [encoding, labels] of Object.entries({
  'utf-8': ['unicode-1-1-utf-8', 'unicode11utf8', 'unicode20utf8', 'utf-8', 'utf8', 'x-unicode20utf8'],
  'utf-16le': ['csunicode', 'iso-10646-ucs-2', 'ucs-2', 'unicode', 'unicodefeff', 'utf-16', 'utf-16le'],
  'windows-1252': ['ansi_x3.4-1968', 'ascii', 'cp1252', 'cp819', 'csisolatin1', 'ibm819', 'iso-8859-1',
    'iso-ir-100', 'iso8859-1', 'iso88591', 'iso_8859-1', 'iso_8859-1:1987', 'l1', 'latin1', 'us-ascii',
    'windows-1252', 'x-cp1252'],
})) {
  for (const label of labels) LABELS.set(label, encoding)
}

function invalidData(encoding) {
  return new TypeError(`TextDecoder.decode: the encoded data was not valid for encoding ${encoding}`)
}

/** The bytes `input` holds or views, as a Uint8Array (no copy). */
function bytesOf(input) {
  if (input === undefined) return new Uint8Array(0)
  if (input instanceof ArrayBuffer || (typeof SharedArrayBuffer === 'function' && input instanceof SharedArrayBuffer)) {
    return new Uint8Array(input)
  }
  if (ArrayBuffer.isView(input)) return new Uint8Array(input.buffer, input.byteOffset, input.byteLength)
  const got = input === null ? 'null' : typeof input
  throw new TypeError(`TextDecoder.decode: argument 'input' must be an ArrayBuffer or ArrayBufferView (got ${got})`)
}

function concat(a, b) {
  const out = new Uint8Array(a.length + b.length)
  out.set(a)
  out.set(b, a.length)
  return out
}

export class TextEncoder {
  get encoding() {
    return 'utf-8'
  }

  encode(input = '') {
    return new Uint8Array(encode(`${input}`, 'utf8'))
  }

  encodeInto(source, destination) {
    if (!(destination instanceof Uint8Array)) {
      const got = destination === null ? 'null' : typeof destination
      throw new TypeError(`TextEncoder.encodeInto: argument 'destination' must be a Uint8Array (got ${got})`)
    }
    const bytes = new Uint8Array(encode(`${source}`, 'utf8'))
    let written = Math.min(bytes.length, destination.length)
    while (written > 0 && written < bytes.length && (bytes[written] & 0xc0) === 0x80) written--
    destination.set(bytes.subarray(0, written))
    let read = 0
    for (let i = 0; i < written; i++) {
      if ((bytes[i] & 0xc0) !== 0x80) read += bytes[i] >= 0xf0 ? 2 : 1
    }
    return { read, written }
  }

  get [Symbol.toStringTag]() {
    return 'TextEncoder'
  }
}

export class TextDecoder {
  #encoding
  #fatal
  #ignoreBOM
  #pending = new Uint8Array(0)
  #started = false

  constructor(label = 'utf-8', options = {}) {
    const encoding = LABELS.get(`${label}`.trim().toLowerCase())
    if (encoding === undefined) throw new RangeError(`TextDecoder: the "${label}" encoding is not supported`)
    this.#encoding = encoding
    this.#fatal = Boolean(options?.fatal)
    this.#ignoreBOM = Boolean(options?.ignoreBOM)
  }

  get encoding() {
    return this.#encoding
  }

  get fatal() {
    return this.#fatal
  }

  get ignoreBOM() {
    return this.#ignoreBOM
  }

  decode(input, options = {}) {
    const stream = Boolean(options?.stream)
    let bytes = bytesOf(input)
    if (this.#pending.length > 0) bytes = concat(this.#pending, bytes)
    try {
      if (this.#encoding === 'windows-1252') return decode(bytes, 'latin1', 0, bytes.length)
      return this.#encoding === 'utf-8' ? this.#utf8(bytes, stream) : this.#utf16(bytes, stream)
    } finally {
      if (!stream) {
        this.#pending = new Uint8Array(0)
        this.#started = false
      }
    }
  }

  /** The length of a BOM (`bom`'s bytes) at the start of a stream's first bytes, else 0. */
  #skipBOM(bytes, end, bom) {
    if (this.#started || end === 0) return 0
    this.#started = true
    const found = !this.#ignoreBOM && end >= bom.length && bom.every((b, i) => bytes[i] === b)
    return found ? bom.length : 0
  }

  #utf8(bytes, stream) {
    this.#pending = new Uint8Array(0)
    const end = stream ? bytes.length - utf8Tail(bytes) : bytes.length
    if (stream) this.#pending = bytes.slice(end)
    const start = this.#skipBOM(bytes, end, [0xef, 0xbb, 0xbf])
    if (this.#fatal && !isUtf8(bytes.subarray(start, end))) {
      this.#pending = new Uint8Array(0)
      throw invalidData('utf-8')
    }
    return decode(bytes, 'utf8', start, end)
  }

  #utf16(bytes, stream) {
    let end = bytes.length - (bytes.length % 2)
    const last = bytes[end - 2] | (bytes[end - 1] << 8)
    if (stream && end >= 2 && last >= 0xd800 && last < 0xdc00) end -= 2
    this.#pending = stream ? bytes.slice(end) : new Uint8Array(0)
    const start = this.#skipBOM(bytes, end, [0xff, 0xfe])
    let text = ''
    for (let i = start; i < end; i += 2) {
      const unit = bytes[i] | (bytes[i + 1] << 8)
      const next = bytes[i + 2] | (bytes[i + 3] << 8)
      if (unit >= 0xd800 && unit < 0xdc00 && i + 3 < end && next >= 0xdc00 && next < 0xe000) {
        text += String.fromCharCode(unit, next)
        i += 2
      } else if (unit >= 0xd800 && unit < 0xe000) {
        if (this.#fatal) throw invalidData('utf-16le')
        text += '\ufffd'
      } else text += String.fromCharCode(unit)
    }
    if (!stream && end < bytes.length) {
      if (this.#fatal) throw invalidData('utf-16le')
      text += '\ufffd'
    }
    return text
  }

  get [Symbol.toStringTag]() {
    return 'TextDecoder'
  }
}
