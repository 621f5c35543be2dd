// structuredClone as Node 20 (V8's serializer) has it, in plain JS. Values are classified by their
// internal brand, not their prototype: a class instance becomes a plain object, a Map subclass a
// Map, `Object.create(Date.prototype)` a plain object. Tricky: the memory map keeps shared and
// cyclic references, and transferred ArrayBuffers are detached only once the whole clone succeeded.

const call = Function.prototype.call
const uncurry = (fn) => call.bind(fn)
const getter = (proto, name) => uncurry(Object.getOwnPropertyDescriptor(proto, name).get)

const toTag = uncurry(Object.prototype.toString)
const hasOwn = Object.hasOwn
const TypedArray = Object.getPrototypeOf(Uint8Array)
const typedArrayName = getter(TypedArray.prototype, Symbol.toStringTag)
// Throws (cheaply, no Error built) unless `value` is a typed array, like the other brand checks.
const typedArrayCheck = (value) => {
  if (typedArrayName(value) === undefined) throw TypeError
}
const bufferLength = getter(ArrayBuffer.prototype, 'byteLength')
const bufferDetached = getter(ArrayBuffer.prototype, 'detached')
const sharedLength = getter(SharedArrayBuffer.prototype, 'byteLength')
const viewBuffer = getter(DataView.prototype, 'buffer')
const mapSize = getter(Map.prototype, 'size')
const setSize = getter(Set.prototype, 'size')
const regexpSource = getter(RegExp.prototype, 'source')
const regexpFlags = getter(RegExp.prototype, 'flags')
const dateValue = uncurry(Date.prototype.getTime)

const ERRORS = { EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError }
/**
 * Node throws a DOMException named DataCloneError (code 25). QuickJS's own DOMException objects
 * are not errors to the engine (not JS_CLASS_ERROR), so rquickjs and the runtime would report them
 * as bare thrown values: this is a real Error whose prototype chain runs through
 * DOMException.prototype, so `instanceof DOMException` and `instanceof Error` both hold.
 */
class DataCloneError extends Error {
  get name() { return 'DataCloneError' }
  get code() { return 25 }
}
const DOMExceptionClass = globalThis.DOMException
if (typeof DOMExceptionClass === 'function') {
  Object.setPrototypeOf(DataCloneError.prototype, DOMExceptionClass.prototype)
  Object.defineProperty(DataCloneError.prototype, 'constructor', { value: DOMExceptionClass, configurable: true, writable: true })
} else {
  Object.defineProperty(DataCloneError.prototype, Symbol.toStringTag, { value: 'DOMException', configurable: true })
}
const dataCloneError = (message) => new DataCloneError(message)

const nodeTypeError = (code, message) => Object.assign(new TypeError(message), { code })

/** Whether `check(value)` accepts the value (brand checks throw on the wrong kind of object). */
const branded = (check, value) => {
  try {
    check(value)
    return true
  } catch {
    return false
  }
}

export function structuredClone(value, options = undefined) {
  if (arguments.length === 0) throw nodeTypeError('ERR_MISSING_ARGS', 'The value argument must be specified')
  const transfer = transferList(options)
  const memory = new Map()
  for (const buffer of transfer) memory.set(buffer, buffer.slice(0, bufferLength(buffer)))
  const copy = clone(value, memory)
  for (const buffer of transfer) buffer.transfer()
  return copy
}

/** The ArrayBuffers of `options.transfer`, checked as Node checks them. */
function transferList(options) {
  if (options === undefined || options === null) return []
  if (typeof options !== 'object' && typeof options !== 'function') {
    throw nodeTypeError('ERR_INVALID_ARG_TYPE', 'The options argument must be either an object or undefined')
  }
  const list = options.transfer
  if (list === undefined || list === null) return []
  if ((typeof list !== 'object' && typeof list !== 'function') || typeof list[Symbol.iterator] !== 'function') {
    throw nodeTypeError('ERR_INVALID_ARG_TYPE', 'Optional transferList argument must be an iterable')
  }
  const buffers = []
  for (const item of list) {
    if (!branded(bufferLength, item)) {
      throw nodeTypeError('ERR_INVALID_TRANSFER_OBJECT', 'Found invalid object in transferList')
    }
    if (buffers.includes(item)) throw dataCloneError('Transfer list contains duplicate ArrayBuffer')
    if (!bufferDetached(item)) buffers.push(item)
  }
  return buffers
}

function clone(value, memory) {
  if (typeof value === 'function') throw dataCloneError(`${String(value)} could not be cloned.`)
  if (typeof value === 'symbol') throw dataCloneError(`${String(value)} could not be cloned.`)
  if (value === null || typeof value !== 'object') return value
  const seen = memory.get(value)
  if (seen !== undefined) return seen
  const tag = toTag(value).slice(8, -1)
  if (tag === 'Object') return cloneProperties(value, {}, memory)
  if (Array.isArray(value)) return cloneProperties(value, new Array(value.length), memory)
  return cloneBranded(value, tag, memory) ?? cloneProperties(value, {}, memory)
}

/** Clones a built-in object kind, or returns undefined for an object with no built-in brand. */
function cloneBranded(value, tag, memory) {
  if (tag === 'Error') return cloneError(value, memory)
  if (tag === 'Arguments') throw dataCloneError('#<Object> could not be cloned.')
  const kind = KINDS[typedArrayName(value) === undefined ? tag : 'TypedArray']
  if (kind !== undefined && branded(kind[0], value)) return kind[1](value, memory, tag)
  // A custom Symbol.toStringTag hides the brand: try them all (rare, and costs a throw each).
  for (const [check, copy] of Object.values(KINDS)) {
    if (branded(check, value)) return copy(value, memory, tag)
  }
  return undefined
}

const refuse = (_value, _memory, tag) => {
  throw dataCloneError(tag === 'Symbol' ? '[object Symbol] could not be cloned.' : `#<${tag}> could not be cloned.`)
}
const boxed = (valueOf) => [valueOf, (value, memory) => remember(memory, value, Object(valueOf(value)))]

// Built-in kinds by their tag: the brand check, then the clone.
const KINDS = {
  TypedArray: [typedArrayCheck, cloneView],
  DataView: [viewBuffer, cloneView],
  ArrayBuffer: [bufferLength, cloneBuffer],
  SharedArrayBuffer: [sharedLength, (value, memory) => remember(memory, value, value)],
  Date: [dateValue, (value, memory) => remember(memory, value, new Date(dateValue(value)))],
  RegExp: [regexpSource, (value, memory) => remember(memory, value, new RegExp(regexpSource(value), regexpFlags(value)))],
  Map: [mapSize, cloneMap],
  Set: [setSize, cloneSet],
  Number: boxed(uncurry(Number.prototype.valueOf)),
  String: boxed(uncurry(String.prototype.valueOf)),
  Boolean: boxed(uncurry(Boolean.prototype.valueOf)),
  BigInt: boxed(uncurry(BigInt.prototype.valueOf)),
  // Brands V8 refuses to serialise.
  WeakMap: [uncurry(WeakMap.prototype.has), refuse],
  WeakSet: [uncurry(WeakSet.prototype.has), refuse],
  WeakRef: [uncurry(WeakRef.prototype.deref), refuse],
  Promise: [uncurry(Promise.prototype.then), refuse],
  FinalizationRegistry: [uncurry(FinalizationRegistry.prototype.unregister), refuse],
  Symbol: [uncurry(Symbol.prototype.valueOf), refuse],
}

function remember(memory, value, copy) {
  memory.set(value, copy)
  return copy
}

/** Own enumerable string keys, in order; a key deleted by an earlier getter is skipped like V8 does. */
function cloneProperties(value, copy, memory) {
  memory.set(value, copy)
  for (const key of Object.keys(value)) {
    if (!hasOwn(value, key)) continue
    const item = clone(value[key], memory)
    if (key === '__proto__') {
      Object.defineProperty(copy, key, { value: item, writable: true, enumerable: true, configurable: true })
    } else {
      copy[key] = item
    }
  }
  return copy
}

function cloneBuffer(value, memory) {
  if (bufferDetached(value)) throw dataCloneError('An ArrayBuffer is detached and could not be cloned.')
  const length = bufferLength(value)
  const copy = value.resizable ? new ArrayBuffer(length, { maxByteLength: value.maxByteLength }) : new ArrayBuffer(length)
  new Uint8Array(copy).set(new Uint8Array(value))
  return remember(memory, value, copy)
}

/** A typed array or DataView over the clone of its buffer (views of one buffer share its clone). */
function cloneView(value, memory) {
  const name = typedArrayName(value)
  const buffer = clone(name === undefined ? viewBuffer(value) : value.buffer, memory)
  const copy = name === undefined
    ? new DataView(buffer, value.byteOffset, value.byteLength)
    : new globalThis[name](buffer, value.byteOffset, value.length)
  return remember(memory, value, copy)
}

function cloneMap(value, memory) {
  const copy = remember(memory, value, new Map())
  for (const [key, item] of value) copy.set(clone(key, memory), clone(item, memory))
  return copy
}

function cloneSet(value, memory) {
  const copy = remember(memory, value, new Set())
  for (const item of value) copy.add(clone(item, memory))
  return copy
}

/** Name kept if standard (else Error), own `message` as a string, `stack` if a string, own `cause`. */
function cloneError(value, memory) {
  const name = value.name
  const Constructor = (typeof name === 'string' && hasOwn(ERRORS, name)) ? ERRORS[name] : Error
  const copy = remember(memory, value, new Constructor())
  const message = Object.getOwnPropertyDescriptor(value, 'message')
  if (message !== undefined && 'value' in message) define(copy, 'message', String(message.value))
  const stack = value.stack
  define(copy, 'stack', typeof stack === 'string' ? stack : undefined)
  const cause = Object.getOwnPropertyDescriptor(value, 'cause')
  if (cause !== undefined && 'value' in cause) define(copy, 'cause', clone(cause.value, memory))
  return copy
}

function define(target, key, value) {
  Object.defineProperty(target, key, { value, writable: true, enumerable: false, configurable: true })
}
