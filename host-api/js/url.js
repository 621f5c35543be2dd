// URL and URLSearchParams as WHATWG and Node 20 define them. Parsing and the setters are native
// (__host.parseUrl / setUrlComponent / parseQuery, the `url` crate); a URL keeps the array of its
// components and re-parses only when a setter runs. Tricky: `searchParams` is linked both ways
// with its URL, and the form-urlencoded serialisation must match Node byte for byte (space → '+',
// only `*-._` and alphanumerics left as they are).

const { parseUrl, canParseUrl, setUrlComponent, parseQuery } = globalThis.__host

// Indices into the components array (host-api/src/url.rs, COMPONENTS).
const HREF = 0, ORIGIN = 1, PROTOCOL = 2, USERNAME = 3, PASSWORD = 4, HOST = 5
const HOSTNAME = 6, PORT = 7, PATHNAME = 8, SEARCH = 9, HASH = 10

/** WebIDL USVString: ToString, then lone surrogates replaced by U+FFFD. */
const usv = (value) => {
  const text = `${value}`
  return text.isWellFormed() ? text : text.toWellFormed()
}

/** Node's ERR_MISSING_ARGS. */
const missingArgs = (...names) => {
  const list = names.map((name) => `"${name}"`).join(' and ')
  const plural = names.length > 1 ? 'arguments' : 'argument'
  const error = new TypeError(`The ${list} ${plural} must be specified`)
  error.code = 'ERR_MISSING_ARGS'
  return error
}

const invalidArg = (message) => {
  const error = new TypeError(message)
  error.code = 'ERR_INVALID_ARG_TYPE'
  return error
}

/** Name/value pairs of a query string (without '?'). */
const pairsOf = (query) => {
  const flat = query ? parseQuery(query) : []
  const pairs = []
  for (let i = 0; i < flat.length; i += 2) pairs.push([flat[i], flat[i + 1]])
  return pairs
}

const FORM_ESCAPES = { '%20': '+', '!': '%21', "'": '%27', '(': '%28', ')': '%29', '~': '%7E' }
/** application/x-www-form-urlencoded byte serialisation of one well-formed string. */
const formEncode = (text) => encodeURIComponent(text).replace(/%20|[!'()~]/g, (c) => FORM_ESCAPES[c])

// Privileged access between the two classes, set up in their static blocks.
let queryChanged, listOf, replaceList, linkTo

export class URL {
  #components
  #params = null

  constructor(url, base = undefined) {
    if (arguments.length === 0) throw missingArgs('url')
    this.#components = base === undefined ? parseUrl(usv(url)) : parseUrl(usv(url), usv(base))
  }

  static canParse(url, base = undefined) {
    if (arguments.length === 0) throw missingArgs('url')
    return base === undefined ? canParseUrl(usv(url)) : canParseUrl(usv(url), usv(base))
  }

  static {
    queryChanged = (url, serialized) => {
      url.#components = setUrlComponent(url.#components[HREF], 'search', serialized)
    }
  }

  #set(name, value) {
    this.#components = setUrlComponent(this.#components[HREF], name, usv(value))
  }

  #setAndSyncParams(name, value) {
    this.#set(name, value)
    if (this.#params !== null) replaceList(this.#params, pairsOf(this.#components[SEARCH].slice(1)))
  }

  // Declared in Node's order, which `for...in` shows.
  toString() { return this.#components[HREF] }
  get href() { return this.#components[HREF] }
  set href(value) { this.#setAndSyncParams('href', value) }
  get origin() { return this.#components[ORIGIN] }
  get protocol() { return this.#components[PROTOCOL] }
  set protocol(value) { this.#set('protocol', value) }
  get username() { return this.#components[USERNAME] }
  set username(value) { this.#set('username', value) }
  get password() { return this.#components[PASSWORD] }
  set password(value) { this.#set('password', value) }
  get host() { return this.#components[HOST] }
  set host(value) { this.#set('host', value) }
  get hostname() { return this.#components[HOSTNAME] }
  set hostname(value) { this.#set('hostname', value) }
  get port() { return this.#components[PORT] }
  set port(value) { this.#set('port', value) }
  get pathname() { return this.#components[PATHNAME] }
  set pathname(value) { this.#set('pathname', value) }
  get search() { return this.#components[SEARCH] }
  set search(value) { this.#setAndSyncParams('search', value) }
  get searchParams() {
    if (this.#params === null) {
      this.#params = new URLSearchParams(this.#components[SEARCH])
      linkTo(this.#params, this)
    }
    return this.#params
  }
  get hash() { return this.#components[HASH] }
  set hash(value) { this.#set('hash', value) }
  toJSON() { return this.#components[HREF] }
}

export class URLSearchParams {
  #list = []
  #url = null

  constructor(init = undefined) {
    if (init === undefined || init === null) return
    if (typeof init !== 'object' && typeof init !== 'function') {
      const text = usv(init)
      this.#list = pairsOf(text[0] === '?' ? text.slice(1) : text)
    } else if (#list in init) {
      this.#list = init.#list.map(([name, value]) => [name, value])
    } else if (init[Symbol.iterator] != null) {
      this.#list = fromPairs(init)
    } else {
      this.#list = fromRecord(init)
    }
  }

  static {
    listOf = (params) => params.#list
    replaceList = (params, list) => { params.#list = list }
    linkTo = (params, url) => { params.#url = url }
  }

  #update() {
    if (this.#url !== null) queryChanged(this.#url, this.toString())
  }

  get size() { return this.#list.length }

  append(name, value) {
    if (arguments.length < 2) throw missingArgs('name', 'value')
    this.#list.push([usv(name), usv(value)])
    this.#update()
  }

  delete(name, value = undefined) {
    if (arguments.length < 1) throw missingArgs('name')
    const key = usv(name), wanted = value === undefined ? undefined : usv(value)
    this.#list = this.#list.filter(([n, v]) => n !== key || (wanted !== undefined && v !== wanted))
    this.#update()
  }

  get(name) {
    if (arguments.length < 1) throw missingArgs('name')
    const key = usv(name)
    const pair = this.#list.find(([n]) => n === key)
    return pair === undefined ? null : pair[1]
  }

  getAll(name) {
    if (arguments.length < 1) throw missingArgs('name')
    const key = usv(name)
    return this.#list.filter(([n]) => n === key).map(([, v]) => v)
  }

  has(name, value = undefined) {
    if (arguments.length < 1) throw missingArgs('name')
    const key = usv(name), wanted = value === undefined ? undefined : usv(value)
    return this.#list.some(([n, v]) => n === key && (wanted === undefined || v === wanted))
  }

  set(name, value) {
    if (arguments.length < 2) throw missingArgs('name', 'value')
    const key = usv(name), text = usv(value)
    let found = false
    this.#list = this.#list.filter((pair) => {
      if (pair[0] !== key) return true
      if (found) return false
      found = true
      pair[1] = text
      return true
    })
    if (!found) this.#list.push([key, text])
    this.#update()
  }

  sort() {
    const indexed = this.#list.map((pair, index) => [pair, index])
    indexed.sort(([a, i], [b, j]) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : i - j))
    this.#list = indexed.map(([pair]) => pair)
    this.#update()
  }

  forEach(callback, thisArg = undefined) {
    if (typeof callback !== 'function') {
      throw invalidArg(`The "callback" argument must be of type function. Received ${typeof callback}`)
    }
    for (let i = 0; i < this.#list.length; i++) {
      const [name, value] = this.#list[i]
      callback.call(thisArg, value, name, this)
    }
  }

  keys() { return new ParamsIterator(this, 'keys') }
  values() { return new ParamsIterator(this, 'values') }
  entries() { return new ParamsIterator(this, 'entries') }
  [Symbol.iterator]() { return new ParamsIterator(this, 'entries') }

  toString() {
    return this.#list.map(([name, value]) => `${formEncode(name)}=${formEncode(value)}`).join('&')
  }
}

/** Live iterator over a URLSearchParams' pairs: it sees pairs appended while iterating. */
class ParamsIterator {
  #params
  #kind
  #index = 0

  constructor(params, kind) {
    this.#params = params
    this.#kind = kind
  }

  next() {
    const list = listOf(this.#params)
    if (this.#index >= list.length) return { value: undefined, done: true }
    const [name, value] = list[this.#index++]
    const item = this.#kind === 'keys' ? name : this.#kind === 'values' ? value : [name, value]
    return { value: item, done: false }
  }

  [Symbol.iterator]() { return this }
  get [Symbol.toStringTag]() { return 'URLSearchParams Iterator' }
}

const invalidTuple = () => {
  const error = new TypeError('Each query pair must be an iterable [name, value] tuple')
  error.code = 'ERR_INVALID_TUPLE'
  return error
}

/** sequence<sequence<USVString>>: every pair exactly two items. */
function fromPairs(init) {
  if (typeof init[Symbol.iterator] !== 'function') {
    const error = new TypeError('Query pairs must be iterable')
    error.code = 'ERR_ARG_NOT_ITERABLE'
    throw error
  }
  const list = []
  for (const pair of init) {
    if (pair === null || (typeof pair !== 'object' && typeof pair !== 'function')) throw invalidTuple()
    if (typeof pair[Symbol.iterator] !== 'function') throw invalidTuple()
    const items = Array.from(pair, usv)
    if (items.length !== 2) throw invalidTuple()
    list.push(items)
  }
  return list
}

/** record<USVString, USVString>: own enumerable keys; a key repeated after conversion keeps its first place. */
function fromRecord(init) {
  const list = [], seen = new Map()
  for (const key of Reflect.ownKeys(init)) {
    const descriptor = Reflect.getOwnPropertyDescriptor(init, key)
    if (descriptor === undefined || !descriptor.enumerable) continue
    const name = usv(key), value = usv(init[key])
    if (seen.has(name)) list[seen.get(name)][1] = value
    else { seen.set(name, list.length); list.push([name, value]) }
  }
  return list
}

for (const [target, tag] of [[URL.prototype, 'URL'], [URLSearchParams.prototype, 'URLSearchParams']]) {
  Object.defineProperty(target, Symbol.toStringTag, { value: tag, configurable: true })
}
for (const name of ['toString', 'href', 'origin', 'protocol', 'username', 'password', 'host', 'hostname',
  'port', 'pathname', 'search', 'searchParams', 'hash', 'toJSON']) {
  Object.defineProperty(URL.prototype, name, { enumerable: true })
}
