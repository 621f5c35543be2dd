// fetch, Headers and Response: the WHATWG subset connectors use (init with method, headers and body;
// Response with ok, status, statusText, headers, url, text(), json(), arrayBuffer(), clone()). Built
// on the host's native `__host.httpRequest`. Glue module: no imports.

const host = globalThis.__host

export class Headers {
  #map = new Map()

  constructor(init) {
    if (init instanceof Headers) init.forEach((value, name) => this.append(name, value))
    else if (Array.isArray(init)) for (const [name, value] of init) this.append(name, value)
    else if (init && typeof init === 'object') for (const [name, value] of Object.entries(init)) this.append(name, value)
  }

  append(name, value) {
    const key = checkName(name)
    const list = this.#map.get(key) ?? []
    list.push(String(value).trim())
    this.#map.set(key, list)
  }

  set(name, value) {
    this.#map.set(checkName(name), [String(value).trim()])
  }

  get(name) {
    const list = this.#map.get(String(name).toLowerCase())
    return list ? list.join(', ') : null
  }

  getSetCookie() {
    return [...(this.#map.get('set-cookie') ?? [])]
  }

  has(name) {
    return this.#map.has(String(name).toLowerCase())
  }

  delete(name) {
    this.#map.delete(String(name).toLowerCase())
  }

  forEach(callback, thisArg) {
    for (const [name, value] of this) callback.call(thisArg, value, name, this)
  }

  *entries() {
    for (const name of [...this.#map.keys()].sort()) {
      if (name === 'set-cookie') for (const value of this.#map.get(name)) yield [name, value]
      else yield [name, this.get(name)]
    }
  }

  *keys() {
    for (const [name] of this.entries()) yield name
  }

  *values() {
    for (const [, value] of this.entries()) yield value
  }

  [Symbol.iterator]() {
    return this.entries()
  }
}

function checkName(name) {
  const key = String(name).toLowerCase()
  if (!/^[!#$%&'*+\-.^_`|~0-9a-z]+$/.test(key)) throw new TypeError(`Headers: invalid header name '${name}'`)
  return key
}

export class Response {
  #bytes
  #used = false

  constructor(body = null, init = {}) {
    this.status = init.status ?? 200
    if (this.status < 200 || this.status > 599) throw new RangeError(`Response: status ${this.status} is outside 200-599`)
    this.statusText = init.statusText ?? ''
    this.headers = new Headers(init.headers)
    this.url = init.url ?? ''
    this.redirected = false
    this.type = 'default'
    this.#bytes = toBytes(body, this.headers)
  }

  get ok() {
    return this.status >= 200 && this.status < 300
  }

  get bodyUsed() {
    return this.#used
  }

  #consume() {
    if (this.#used) throw new TypeError('Response: body is unusable: it has already been read')
    this.#used = true
    return this.#bytes ?? new Uint8Array(0)
  }

  async arrayBuffer() {
    return this.#consume().slice().buffer
  }

  async bytes() {
    return this.#consume().slice()
  }

  async text() {
    return new TextDecoder().decode(this.#consume())
  }

  async json() {
    return JSON.parse(await this.text())
  }

  clone() {
    if (this.#used) throw new TypeError('Response: cannot clone a body that has already been read')
    const copy = new Response(this.#bytes?.slice() ?? null, this)
    copy.url = this.url
    return copy
  }

  static json(data, init = {}) {
    const headers = new Headers(init.headers)
    if (!headers.has('content-type')) headers.set('content-type', 'application/json')
    return new Response(JSON.stringify(data), { ...init, headers })
  }
}

function toBytes(body, headers) {
  if (body === null || body === undefined) return null
  const type = (value) => {
    if (!headers.has('content-type')) headers.set('content-type', value)
  }
  if (typeof body === 'string') {
    type('text/plain;charset=UTF-8')
    return new TextEncoder().encode(body)
  }
  if (body instanceof URLSearchParams) {
    type('application/x-www-form-urlencoded;charset=UTF-8')
    return new TextEncoder().encode(body.toString())
  }
  if (body instanceof ArrayBuffer) return new Uint8Array(body.slice(0))
  if (ArrayBuffer.isView(body)) return new Uint8Array(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength))
  type('text/plain;charset=UTF-8')
  return new TextEncoder().encode(String(body))
}

export async function fetch(input, init = {}) {
  const href = input instanceof URL ? input.href : typeof input === 'string' ? input : input?.url
  let url
  try {
    url = new URL(href).href
  } catch {
    throw new TypeError(`Failed to parse URL from ${href}`)
  }
  const method = String(init.method ?? 'GET').toUpperCase()
  const headers = new Headers(init.headers)
  const bytes = toBytes(init.body, headers)
  if (bytes && (method === 'GET' || method === 'HEAD')) throw new TypeError('Request with GET/HEAD method cannot have body.')
  let raw
  try {
    raw = await host.httpRequest({ method, url, headers: [...headers], body: bytes ?? undefined })
  } catch (cause) {
    throw new TypeError('fetch failed', { cause })
  }
  const response = new Response(raw.status >= 200 ? new Uint8Array(raw.body) : null, {
    status: Math.max(raw.status, 200),
    statusText: raw.statusText,
    headers: raw.headers,
    url: raw.url,
  })
  if (raw.status < 200) response.status = raw.status
  response.redirected = raw.url !== url
  return response
}
