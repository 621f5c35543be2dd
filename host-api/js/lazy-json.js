// `data` of a large JSON body, built as it is read (host-api/src/lazy_json.rs says why). Each object
// of the body is a Proxy over an empty target whose handler holds the object's place in the body
// (a native JsonNode). Reading a property builds it on the target (the `get` trap is native,
// `__host.jsonGet`; what it does not answer goes to `slowGet`, with `__host.jsonMember`); `in` asks
// the body (`__host.jsonHas`); anything else settles the object (`__host.jsonSettle` gives the
// target every property in the body's order) and drops the handler's traps, so the Proxy forwards
// everything to the now complete target from then on. Tricky: the traps live on a shared prototype
// of each handler, and settling sets that prototype to null; the handler holds no closure, so no
// Proxy is part of a reference cycle.

const { jsonMember, jsonGet, jsonHas, jsonSettle } = globalThis.__host
const {
  get: reflectGet,
  has: reflectHas,
  set: reflectSet,
  ownKeys: reflectOwnKeys,
  getOwnPropertyDescriptor: reflectGetOwnPropertyDescriptor,
  defineProperty: reflectDefineProperty,
  deleteProperty: reflectDeleteProperty,
  preventExtensions: reflectPreventExtensions,
} = Reflect
const hasOwn = Object.hasOwn
const setPrototypeOf = Object.setPrototypeOf
const getPrototypeOf = Object.getPrototypeOf
const ProxyClass = Proxy

function settleHandler(handler, target) {
  const node = handler.node
  handler.node = undefined
  setPrototypeOf(handler, null)
  jsonSettle(node, target)
}

const traps = {
  __proto__: null,
  // Native: a member of the body in one call; everything else through `slowGet`.
  get: jsonGet,
  slowGet(target, key, receiver) {
    if (typeof key === 'string' && !hasOwn(target, key)) {
      const value = jsonMember(this.node, key, lazy)
      if (value === lazy) {
        settleHandler(this, target)
      } else if (value !== undefined) {
        reflectDefineProperty(target, key, { value, writable: true, enumerable: true, configurable: true })
        return value
      }
    }
    return reflectGet(target, key, receiver)
  },
  has(target, key) {
    if (typeof key === 'string' && !hasOwn(target, key)) {
      const found = jsonHas(this.node, key)
      if (found === true) return true
      if (found === undefined) settleHandler(this, target)
    }
    return reflectHas(target, key)
  },
  set(target, key, value, receiver) {
    settleHandler(this, target)
    return reflectSet(target, key, value, receiver)
  },
  ownKeys(target) {
    settleHandler(this, target)
    return reflectOwnKeys(target)
  },
  getOwnPropertyDescriptor(target, key) {
    settleHandler(this, target)
    return reflectGetOwnPropertyDescriptor(target, key)
  },
  defineProperty(target, key, descriptor) {
    settleHandler(this, target)
    return reflectDefineProperty(target, key, descriptor)
  },
  deleteProperty(target, key) {
    settleHandler(this, target)
    return reflectDeleteProperty(target, key)
  },
  preventExtensions(target) {
    settleHandler(this, target)
    return reflectPreventExtensions(target)
  },
}

/** The object at `node` of the body, built as it is read. */
function lazy(node) {
  return new ProxyClass({}, { __proto__: traps, node })
}

traps.lazy = lazy
export { lazy }

/** Settles the lazy object with this Proxy `handler` and `target`; anything else is left alone. */
export function settle(handler, target) {
  if (getPrototypeOf(handler) === traps) settleHandler(handler, target)
}
