// Node's Buffer: a Uint8Array subclass with Node 20's semantics (lib/buffer.js), over the natives
// `__host.encode(string, encoding) -> ArrayBuffer`, `__host.decode(bytes, encoding, start, end)`,
// `compare` and `indexOf` (host-api/src/encoding.rs). Tricky: `new Buffer(arrayBuffer, offset,
// length)` and `new Buffer(length)` must stay plain Uint8Array construction, since the engine's
// typed-array methods build their results through the subclass; UTF-16 is decoded here, because a
// lone surrogate cannot cross as a Rust string. Argument errors read like the host's:
// `fn: argument 'x' must be ...`, with Node's error classes.

const { encode, decode, compare: compareBytes, indexOf: indexOfBytes } = globalThis.__host
const kMaxLength = 2 ** 32
const ENCODINGS = new Map(Object.entries({
  utf8: 'utf8', 'utf-8': 'utf8', ucs2: 'utf16le', 'ucs-2': 'utf16le', utf16le: 'utf16le',
  'utf-16le': 'utf16le', latin1: 'latin1', binary: 'latin1', ascii: 'ascii', base64: 'base64',
  base64url: 'base64url', hex: 'hex',
}))

/** Node's `getEncodingOps`: the canonical name of `encoding` (any case), else undefined. */
function normalizeEncoding(encoding) {
  const name = `${encoding}`
  return ENCODINGS.get(name) ?? ENCODINGS.get(name.toLowerCase())
}

function typeName(value) {
  if (value === null) return 'null'
  return Array.isArray(value) ? 'array' : typeof value
}

function typeError(fn, name, expected, value) {
  return new TypeError(`${fn}: argument '${name}' must be ${expected} (got ${typeName(value)})`)
}

function rangeError(fn, name, range, value) {
  return new RangeError(`${fn}: argument '${name}' must be ${range} (got ${String(value)})`)
}

function unknownEncoding(fn, encoding) {
  return new TypeError(`${fn}: unknown encoding: ${String(encoding)}`)
}

function validateNumber(fn, value, name, min, max) {
  if (typeof value !== 'number') throw typeError(fn, name, 'a number', value)
  const bounded = min != null || max != null
  if ((min != null && value < min) || (max != null && value > max) || (bounded && Number.isNaN(value))) {
    throw rangeError(fn, name, `>= ${min ?? '-Infinity'} and <= ${max ?? 'Infinity'}`, value)
  }
}

function validateOffset(fn, value, name, min = 0, max = kMaxLength) {
  if (typeof value !== 'number') throw typeError(fn, name, 'a number', value)
  if (!Number.isInteger(value)) throw rangeError(fn, name, 'an integer', value)
  if (value < min || value > max) throw rangeError(fn, name, `>= ${min} and <= ${max}`, value)
}

function boundsError(fn, value, length, name = 'offset') {
  if (Math.floor(value) !== value) {
    validateNumber(fn, value, name)
    throw rangeError(fn, name, 'an integer', value)
  }
  if (length < 0) throw new RangeError(`${fn}: attempt to access memory outside buffer bounds`)
  throw rangeError(fn, name, `>= ${name === 'offset' ? 0 : 1} and <= ${length}`, value)
}

const isAnyArrayBuffer = (value) => value instanceof ArrayBuffer ||
  (typeof SharedArrayBuffer === 'function' && value instanceof SharedArrayBuffer)
const isUint8Array = (value) => value instanceof Uint8Array

function checkUint8Array(fn, name, value) {
  if (!isUint8Array(value)) throw typeError(fn, name, 'a Buffer or Uint8Array', value)
}

function utf8Length(string) {
  let length = 0
  for (let i = 0; i < string.length; i++) {
    const unit = string.charCodeAt(i)
    if (unit < 0x80) length += 1
    else if (unit < 0x800) length += 2
    else if (unit >= 0xd800 && unit < 0xdc00 && (string.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      length += 4
      i++
    } else length += 3
  }
  return length
}

function decodeUtf16(bytes, start, end) {
  let text = ''
  const units = []
  for (let i = start; i + 1 < end; i += 2) {
    units.push(bytes[i] | (bytes[i + 1] << 8))
    if (units.length === 8192) text += String.fromCharCode(...units.splice(0))
  }
  return text + String.fromCharCode(...units)
}

function slice(bytes, encoding, start, end) {
  return encoding === 'utf16le' ? decodeUtf16(bytes, start, end) : decode(bytes, encoding, start, end)
}

function fromString(string, encoding) {
  const name = typeof encoding !== 'string' || encoding.length === 0 ? 'utf8' : normalizeEncoding(encoding)
  if (name === undefined) throw unknownEncoding('Buffer.from', encoding)
  return new Buffer(encode(string, name))
}

function fromArrayBuffer(buffer, byteOffset, length) {
  byteOffset = byteOffset === undefined ? 0 : +byteOffset || 0
  const maxLength = buffer.byteLength - byteOffset
  if (maxLength < 0) throw new RangeError("Buffer.from: argument 'byteOffset' is outside of buffer bounds")
  if (length === undefined) length = maxLength
  else if ((length = +length) > 0) {
    if (length > maxLength) throw new RangeError("Buffer.from: argument 'length' is outside of buffer bounds")
  } else length = 0
  return new Buffer(buffer, byteOffset, length)
}

function fromArrayLike(values) {
  const buffer = new Buffer(values.length > 0 ? values.length : 0)
  if (buffer.length > 0) buffer.set(values)
  return buffer
}

function fromObject(object) {
  if (object.length !== undefined || isAnyArrayBuffer(object.buffer)) {
    return typeof object.length === 'number' ? fromArrayLike(object) : new Buffer(0)
  }
  if (object.type === 'Buffer' && Array.isArray(object.data)) return fromArrayLike(object.data)
}

function copyBytes(source, target, targetStart, sourceStart, sourceEnd) {
  if (sourceEnd - sourceStart > target.length - targetStart) sourceEnd = sourceStart + target.length - targetStart
  const count = Math.min(sourceEnd - sourceStart, source.length - sourceStart)
  if (count <= 0) return 0
  target.set(new Uint8Array(source.buffer, source.byteOffset + sourceStart, count), targetStart)
  return count
}

function toInteger(n, fallback) {
  n = +n
  return Number.isNaN(n) || Math.abs(n) > Number.MAX_SAFE_INTEGER ? fallback : Math.floor(n)
}

function adjustOffset(offset, length) {
  offset = Math.trunc(offset)
  if (offset === 0 || Number.isNaN(offset)) return 0
  if (offset < 0) return Math.max(offset + length, 0)
  return Math.min(offset, length)
}

function indexOf(fn, buffer, value, byteOffset, encoding, forward) {
  if (typeof byteOffset === 'string') {
    encoding = byteOffset
    byteOffset = undefined
  }
  byteOffset = Math.max(Math.min(+byteOffset, 0x7fffffff), -0x80000000)
  byteOffset = Number.isNaN(byteOffset) ? (forward ? 0 : buffer.length) : Math.trunc(byteOffset)
  let needle
  if (typeof value === 'number') needle = new Uint8Array([value >>> 0])
  else if (isUint8Array(value)) needle = value
  else if (typeof value === 'string') {
    const name = encoding === undefined ? 'utf8' : normalizeEncoding(encoding)
    if (name === undefined) throw unknownEncoding(fn, encoding)
    needle = new Uint8Array(encode(value, name))
  } else throw typeError(fn, 'value', 'a number, string, Buffer or Uint8Array', value)
  return indexOfBytes(buffer, needle, byteOffset, forward)
}

function fill(buffer, value, offset, end, encoding) {
  let pattern
  if (typeof value === 'string') {
    if (offset === undefined || typeof offset === 'string') [encoding, offset, end] = [offset, 0, buffer.length]
    else if (typeof end === 'string') [encoding, end] = [end, buffer.length]
    const name = encoding == null ? 'utf8' : normalizeEncoding(encoding)
    if (name === undefined) throw unknownEncoding('buf.fill', encoding)
    const code = value.charCodeAt(0)
    if (value.length === 0) value = 0
    else if (value.length === 1 && ((name === 'utf8' && code < 128) || name === 'latin1')) value = code
    else pattern = new Uint8Array(encode(value, name))
  } else if (ArrayBuffer.isView(value)) {
    pattern = new Uint8Array(value.byteLength)
    pattern.set(new Uint8Array(value.buffer, value.byteOffset, value.byteLength))
  }
  if (offset === undefined) [offset, end] = [0, buffer.length]
  else {
    validateOffset('buf.fill', offset, 'offset')
    if (end === undefined) end = buffer.length
    else validateOffset('buf.fill', end, 'end', 0, buffer.length)
    if (offset >= end) return buffer
  }
  if (pattern === undefined) return Uint8Array.prototype.fill.call(buffer, typeof value === 'number' ? value : Number(value) & 0xff, offset, end)
  if (pattern.length === 0) throw new TypeError(`buf.fill: argument 'value' is invalid (got ${String(value)})`)
  let filled = Math.min(pattern.length, end - offset)
  buffer.set(pattern.subarray(0, filled), offset)
  while (filled < end - offset) {
    const n = Math.min(filled, end - offset - filled)
    buffer.copyWithin(offset + filled, offset, offset + n)
    filled += n
  }
  return buffer
}

function readUInt(fn, buffer, offset, size, littleEndian) {
  validateNumber(fn, offset, 'offset')
  if (buffer[offset] === undefined || buffer[offset + size - 1] === undefined) boundsError(fn, offset, buffer.length - size)
  let value = 0
  for (let i = 0; i < size; i++) value += buffer[offset + (littleEndian ? i : size - 1 - i)] * 2 ** (8 * i)
  return value
}

function readInt(fn, buffer, offset, size, littleEndian) {
  const value = readUInt(fn, buffer, offset, size, littleEndian)
  return value >= 2 ** (8 * size - 1) ? value - 2 ** (8 * size) : value
}

function writeInt(fn, buffer, value, offset, size, littleEndian, signed) {
  value = +value
  validateNumber(fn, offset, 'offset')
  const min = signed ? -(2 ** (8 * size - 1)) : 0
  const max = signed ? 2 ** (8 * size - 1) - 1 : 2 ** (8 * size) - 1
  if (value > max || value < min) throw rangeError(fn, 'value', `>= ${min} and <= ${max}`, value)
  if (buffer[offset] === undefined || buffer[offset + size - 1] === undefined) boundsError(fn, offset, buffer.length - size)
  const whole = Math.trunc(value)
  for (let i = 0; i < size; i++) buffer[offset + (littleEndian ? i : size - 1 - i)] = Math.floor(whole / 2 ** (8 * i)) & 0xff
  return offset + size
}

function checkByteLength(fn, byteLength) {
  if (byteLength !== 1 && byteLength !== 2 && byteLength !== 3 && byteLength !== 4 && byteLength !== 5 && byteLength !== 6) {
    boundsError(fn, byteLength, 6, 'byteLength')
  }
}

/** A DataView over the bytes `offset..offset + size` of `buffer`, after Node's checks. */
function view(fn, buffer, offset, size) {
  validateNumber(fn, offset, 'offset')
  if (buffer[offset] === undefined || buffer[offset + size - 1] === undefined) boundsError(fn, offset, buffer.length - size)
  return new DataView(buffer.buffer, buffer.byteOffset + offset, size)
}

export class Buffer extends Uint8Array {
  constructor(value, encodingOrOffset, length) {
    if (typeof value === 'number' || isAnyArrayBuffer(value)) {
      super(value, encodingOrOffset, length)
      return
    }
    return Buffer.from(value, encodingOrOffset, length)
  }

  static from(value, encodingOrOffset, length) {
    if (typeof value === 'string') return fromString(value, encodingOrOffset)
    if (typeof value === 'object' && value !== null) {
      if (isAnyArrayBuffer(value)) return fromArrayBuffer(value, encodingOrOffset, length)
      const valueOf = value.valueOf && value.valueOf()
      if (valueOf != null && valueOf !== value && (typeof valueOf === 'string' || typeof valueOf === 'object')) {
        return Buffer.from(valueOf, encodingOrOffset, length)
      }
      const buffer = fromObject(value)
      if (buffer) return buffer
      if (typeof value[Symbol.toPrimitive] === 'function') {
        const primitive = value[Symbol.toPrimitive]('string')
        if (typeof primitive === 'string') return fromString(primitive, encodingOrOffset)
      }
    }
    throw typeError('Buffer.from', 'value', 'a string, Buffer, ArrayBuffer, Array or array-like object', value)
  }

  static alloc(size, value, encoding) {
    validateNumber('Buffer.alloc', size, 'size', 0, kMaxLength)
    const buffer = new Buffer(size)
    return value !== undefined && value !== 0 && size > 0 ? fill(buffer, value, 0, buffer.length, encoding) : buffer
  }

  static allocUnsafe(size) {
    validateNumber('Buffer.allocUnsafe', size, 'size', 0, kMaxLength)
    return new Buffer(size)
  }

  static allocUnsafeSlow(size) {
    return Buffer.allocUnsafe(size)
  }

  static byteLength(string, encoding) {
    if (typeof string !== 'string') {
      if (ArrayBuffer.isView(string) || isAnyArrayBuffer(string)) return string.byteLength
      throw typeError('Buffer.byteLength', 'string', 'a string, Buffer or ArrayBuffer', string)
    }
    const name = encoding ? normalizeEncoding(encoding) : 'utf8'
    if (name === 'utf16le') return string.length * 2
    if (name === 'latin1' || name === 'ascii') return string.length
    if (name === 'hex') return string.length >>> 1
    if (name !== 'base64' && name !== 'base64url') return utf8Length(string)
    let length = string.length
    if (string.charCodeAt(length - 1) === 0x3d) length--
    if (length > 1 && string.charCodeAt(length - 1) === 0x3d) length--
    return (length * 3) >>> 2
  }

  static concat(list, length) {
    if (!Array.isArray(list)) throw typeError('Buffer.concat', 'list', 'an array', list)
    if (list.length === 0) return new Buffer(0)
    if (length === undefined) length = list.reduce((sum, item) => sum + (item.length || 0), 0)
    else validateOffset('Buffer.concat', length, 'length')
    const buffer = new Buffer(length)
    let position = 0
    list.forEach((item, i) => {
      checkUint8Array('Buffer.concat', `list[${i}]`, item)
      position += copyBytes(item, buffer, position, 0, item.length)
    })
    return buffer
  }

  static compare(a, b) {
    checkUint8Array('Buffer.compare', 'buf1', a)
    checkUint8Array('Buffer.compare', 'buf2', b)
    return a === b ? 0 : compareBytes(a, b)
  }

  static isBuffer(value) {
    return value instanceof Buffer
  }

  static isEncoding(encoding) {
    return typeof encoding === 'string' && encoding.length !== 0 && normalizeEncoding(encoding) !== undefined
  }

  toString(encoding, start, end) {
    if (arguments.length === 0) return decode(this, 'utf8', 0, this.length)
    const length = this.length
    if (start <= 0) start = 0
    else if (start >= length) return ''
    else start = Math.trunc(start) || 0
    end = end === undefined || end > length ? length : Math.trunc(end) || 0
    if (end <= start) return ''
    const name = encoding === undefined ? 'utf8' : normalizeEncoding(encoding)
    if (name === undefined) throw unknownEncoding('buf.toString', encoding)
    return slice(this, name, start, end)
  }

  toJSON() {
    return { type: 'Buffer', data: Array.from(this) }
  }

  equals(other) {
    checkUint8Array('buf.equals', 'otherBuffer', other)
    return this === other || (this.byteLength === other.byteLength && compareBytes(this, other) === 0)
  }

  compare(target, targetStart, targetEnd, sourceStart, sourceEnd) {
    checkUint8Array('buf.compare', 'target', target)
    if (arguments.length === 1) return compareBytes(this, target)
    const check = (value, name, fallback, max) => {
      if (value === undefined) return fallback
      validateOffset('buf.compare', value, name, 0, max)
      return value
    }
    targetStart = check(targetStart, 'targetStart', 0)
    targetEnd = check(targetEnd, 'targetEnd', target.length, target.length)
    sourceStart = check(sourceStart, 'sourceStart', 0)
    sourceEnd = check(sourceEnd, 'sourceEnd', this.length, this.length)
    if (sourceStart >= sourceEnd) return targetStart >= targetEnd ? 0 : -1
    if (targetStart >= targetEnd) return 1
    return compareBytes(this.subarray(sourceStart, sourceEnd), target.subarray(targetStart, targetEnd))
  }

  subarray(start, end) {
    const length = this.length
    start = adjustOffset(start, length)
    end = end !== undefined ? adjustOffset(end, length) : length
    return new Buffer(this.buffer, this.byteOffset + start, end > start ? end - start : 0)
  }

  slice(start, end) {
    return this.subarray(start, end)
  }

  write(string, offset, length, encoding) {
    if (typeof string !== 'string') throw typeError('buf.write', 'string', 'a string', string)
    if (offset === undefined) [offset, length] = [0, this.length]
    else if (length === undefined && typeof offset === 'string') [encoding, offset, length] = [offset, 0, this.length]
    else {
      validateOffset('buf.write', offset, 'offset', 0, this.length)
      const remaining = this.length - offset
      if (length === undefined) length = remaining
      else if (typeof length === 'string') [encoding, length] = [length, remaining]
      else {
        validateOffset('buf.write', length, 'length', 0, this.length)
        length = Math.min(length, remaining)
      }
    }
    const name = encoding ? normalizeEncoding(encoding) : 'utf8'
    if (name === undefined) throw unknownEncoding('buf.write', encoding)
    const bytes = new Uint8Array(encode(string, name))
    let count = Math.min(bytes.length, length)
    if (name === 'utf8') while (count > 0 && count < bytes.length && (bytes[count] & 0xc0) === 0x80) count--
    if (name === 'utf16le') count -= count % 2
    this.set(bytes.subarray(0, count), offset)
    return count
  }

  fill(value, offset, end, encoding) {
    return fill(this, value, offset, end, encoding)
  }

  indexOf(value, byteOffset, encoding) {
    return indexOf('buf.indexOf', this, value, byteOffset, encoding, true)
  }

  lastIndexOf(value, byteOffset, encoding) {
    return indexOf('buf.lastIndexOf', this, value, byteOffset, encoding, false)
  }

  includes(value, byteOffset, encoding) {
    return this.indexOf(value, byteOffset, encoding) !== -1
  }

  copy(target, targetStart, sourceStart, sourceEnd) {
    checkUint8Array('buf.copy', 'target', target)
    targetStart = targetStart === undefined ? 0 : toInteger(targetStart, 0)
    if (targetStart < 0) throw rangeError('buf.copy', 'targetStart', '>= 0', targetStart)
    sourceStart = sourceStart === undefined ? 0 : toInteger(sourceStart, 0)
    if (sourceStart < 0 || sourceStart > this.length) throw rangeError('buf.copy', 'sourceStart', `>= 0 and <= ${this.length}`, sourceStart)
    sourceEnd = sourceEnd === undefined ? this.length : toInteger(sourceEnd, 0)
    if (sourceEnd < 0) throw rangeError('buf.copy', 'sourceEnd', '>= 0', sourceEnd)
    if (targetStart >= target.length || sourceStart >= sourceEnd) return 0
    return copyBytes(this, target, targetStart, sourceStart, sourceEnd)
  }

  readUIntLE(offset, byteLength) { checkByteLength('buf.readUIntLE', byteLength); return readUInt('buf.readUIntLE', this, offset, byteLength, true) }
  readUIntBE(offset, byteLength) { checkByteLength('buf.readUIntBE', byteLength); return readUInt('buf.readUIntBE', this, offset, byteLength, false) }
  readIntLE(offset, byteLength) { checkByteLength('buf.readIntLE', byteLength); return readInt('buf.readIntLE', this, offset, byteLength, true) }
  readIntBE(offset, byteLength) { checkByteLength('buf.readIntBE', byteLength); return readInt('buf.readIntBE', this, offset, byteLength, false) }
  writeUIntLE(value, offset, byteLength) { checkByteLength('buf.writeUIntLE', byteLength); return writeInt('buf.writeUIntLE', this, value, offset, byteLength, true, false) }
  writeUIntBE(value, offset, byteLength) { checkByteLength('buf.writeUIntBE', byteLength); return writeInt('buf.writeUIntBE', this, value, offset, byteLength, false, false) }
  writeIntLE(value, offset, byteLength) { checkByteLength('buf.writeIntLE', byteLength); return writeInt('buf.writeIntLE', this, value, offset, byteLength, true, true) }
  writeIntBE(value, offset, byteLength) { checkByteLength('buf.writeIntBE', byteLength); return writeInt('buf.writeIntBE', this, value, offset, byteLength, false, true) }

  [Symbol.for('nodejs.util.inspect.custom')]() {
    const shown = Array.from(this.subarray(0, 50), (b) => b.toString(16).padStart(2, '0')).join(' ')
    const more = this.length > 50 ? ` ... ${this.length - 50} more byte${this.length === 51 ? '' : 's'}` : ''
    return `<Buffer ${shown}${more}>`
  }
}

Buffer.poolSize = 8192
Buffer.prototype.toLocaleString = Buffer.prototype.toString

// readUInt8 … writeBigInt64BE: fixed-size accessors, each also under Node's `Uint` alias.
const proto = Buffer.prototype
for (const [size, suffixes] of [[1, ['']], [2, ['LE', 'BE']], [4, ['LE', 'BE']]]) {
  for (const suffix of suffixes) {
    const littleEndian = suffix !== 'BE'
    for (const signed of [false, true]) {
      const type = `${signed ? 'Int' : 'UInt'}${size * 8}${suffix}`
      const read = {
        [`read${type}`](offset = 0) {
          return (signed ? readInt : readUInt)(`buf.read${type}`, this, offset, size, littleEndian)
        },
      }[`read${type}`]
      const write = {
        [`write${type}`](value, offset = 0) {
          return writeInt(`buf.write${type}`, this, value, offset, size, littleEndian, signed)
        },
      }[`write${type}`]
      proto[`read${type}`] = proto[`read${type.replace('UInt', 'Uint')}`] = read
      proto[`write${type}`] = proto[`write${type.replace('UInt', 'Uint')}`] = write
    }
  }
}
for (const [type, size, get, set] of [
  ['Float', 4, 'getFloat32', 'setFloat32'], ['Double', 8, 'getFloat64', 'setFloat64'],
  ['BigUInt64', 8, 'getBigUint64', 'setBigUint64'], ['BigInt64', 8, 'getBigInt64', 'setBigInt64'],
]) {
  for (const suffix of ['LE', 'BE']) {
    const name = `${type}${suffix}`, littleEndian = suffix === 'LE'
    const read = function (offset = 0) { return view(`buf.read${name}`, this, offset, size)[get](0, littleEndian) }
    const write = function (value, offset = 0) {
      view(`buf.write${name}`, this, offset, size)[set](0, value, littleEndian)
      return offset + size
    }
    proto[`read${name}`] = proto[`read${name.replace('UInt', 'Uint')}`] = read
    proto[`write${name}`] = proto[`write${name.replace('UInt', 'Uint')}`] = write
  }
}
