// apiClient (also passed as externalApiClient): get(path, query?, options?) and
// post|put|patch|delete(path, data?, options?), as the vendor's RestApiClient behaves. Its base URI,
// default headers, default query and basic auth come from the connector's makeApiClient, which the
// host evaluates lazily on the first request (`factory`). Requests go through the host's native
// `__host.httpRequest`. Glue module: no imports.

const host = globalThis.__host
const ABSOLUTE = /^[a-z][a-z0-9+.-]*:\/\//i

export class ApiClient {
  #factory
  #config

  constructor(factory) {
    this.#factory = factory
  }

  get(path, query, options) {
    return this.#request('GET', path, undefined, { ...options, query: { ...options?.query, ...query } })
  }

  post(path, data, options) {
    return this.#request('POST', path, data, options)
  }

  put(path, data, options) {
    return this.#request('PUT', path, data, options)
  }

  patch(path, data, options) {
    return this.#request('PATCH', path, data, options)
  }

  delete(path, data, options) {
    return this.#request('DELETE', path, data, options)
  }

  /// Any method, as axios' `request`: `request('PATCH', path, data, options)`.
  request(method, path, data, options) {
    return this.#request(String(method).toUpperCase(), path, data, options)
  }

  async #options() {
    if (this.#config === undefined) this.#config = normalize(await this.#factory())
    return this.#config
  }

  async #request(method, path, data, options = {}) {
    const config = await this.#options()
    const url = buildUrl(method, options.baseUri ?? config.baseUri, path, { ...config.query, ...options.query })
    const headers = mergeHeaders(config.headers, options.headers)
    const auth = options.auth ?? config.auth
    if (auth && !('authorization' in headers)) headers.authorization = basic(auth)
    const body = encodeBody(data, headers)
    let raw
    try {
      raw = await host.httpRequest({ method, url, headers: Object.entries(headers), body })
    } catch (e) {
      throw new (sdk().ConnectionError)({ message: e.message })
    }
    const response = { status: raw.status, headers: headerObject(raw.headers), data: decode(raw, options.responseType) }
    if (raw.status < 200 || raw.status >= 300) throw failure(method, url, response)
    return options.returnFullResponse ? response : response.data
  }
}

function sdk() {
  return host.glue('host:sdk')
}

/// makeApiClient's result, with the aliases real connectors use (`baseUrl`, `defaultQueryParameters`,
/// an `args:` wrapper).
function normalize(options) {
  const o = options && typeof options === 'object' ? (options.args ?? options) : {}
  return {
    baseUri: o.baseUri ?? o.baseUrl,
    headers: o.headers ?? {},
    query: o.query ?? o.defaultQueryParameters ?? {},
    auth: o.auth,
  }
}

function buildUrl(method, base, path, query) {
  if (path instanceof URL) path = path.href
  if (typeof path !== 'string') {
    throw new TypeError(`apiClient.${method.toLowerCase()}: argument 'path' must be a string (got ${typeof path})`)
  }
  let href
  if (ABSOLUTE.test(path)) href = path
  else if (base && path === '') href = String(base)
  else if (base) href = String(base).replace(/\/+$/, '') + '/' + path.replace(/^\/+/, '')
  else throw new TypeError(`apiClient.${method.toLowerCase()}: the relative path '${path}' needs a base URI, and makeApiClient gave none`)
  const url = new URL(href)
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value === undefined || value === null) continue
    if (Array.isArray(value)) for (const item of value) url.searchParams.append(key, String(item))
    else url.searchParams.append(key, typeof value === 'object' ? JSON.stringify(value) : String(value))
  }
  return url.href
}

function mergeHeaders(...sources) {
  const headers = {}
  for (const source of sources) {
    for (const [name, value] of Object.entries(source ?? {})) {
      if (value !== undefined && value !== null) headers[name.toLowerCase()] = String(value)
    }
  }
  return headers
}

function basic({ username = '', password = '' }) {
  return 'Basic ' + Buffer.from(`${username}:${password}`).toString('base64')
}

function encodeBody(data, headers) {
  if (data === undefined) return undefined
  const type = (value) => {
    if (!('content-type' in headers)) headers['content-type'] = value
  }
  if (typeof data === 'string') {
    type('application/x-www-form-urlencoded')
    return data
  }
  if (data instanceof URLSearchParams) {
    type('application/x-www-form-urlencoded;charset=utf-8')
    return data.toString()
  }
  if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) return data
  type('application/json')
  return JSON.stringify(data)
}

function headerObject(pairs) {
  const headers = {}
  for (const [name, value] of pairs) {
    if (name === 'set-cookie') (headers[name] ??= []).push(value)
    else headers[name] = name in headers ? `${headers[name]}, ${value}` : value
  }
  return headers
}

function decode(raw, responseType) {
  if (responseType === 'arraybuffer' || responseType === 'stream') return Buffer.from(raw.body)
  const text = new TextDecoder().decode(raw.body)
  if (responseType === 'text' || text === '') return text
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

/// The URL without query, fragment or credentials: what error messages may show.
function safeUrl(href) {
  const url = new URL(href)
  url.search = ''
  url.hash = ''
  url.username = ''
  url.password = ''
  return url.href
}

function failure(method, url, response) {
  const { ConnectionError, ConnectionErrorKey } = sdk()
  const shown = safeUrl(url)
  const key =
    response.status === 401
      ? ConnectionErrorKey.ACCESS_TOKEN_EXPIRED
      : response.status === 429
        ? ConnectionErrorKey.RATE_LIMIT_EXCEEDED
        : undefined
  const message = `${method} ${shown} failed with status ${response.status}`
  const error = new ConnectionError({ message, key, data: response.data })
  if (key === undefined) delete error.data.key
  error.response = response
  return error
}

const CLIENT = Symbol('apiClient')

/// The client of one invocation's argument object, built on first use (see host-api/src/api_client.rs).
export function clientFor(args) {
  if (!Object.hasOwn(args, CLIENT)) {
    const client = new ApiClient(() => args.__makeApiClient(args))
    Object.defineProperty(args, CLIENT, { value: client })
  }
  return args[CLIENT]
}

/// The request of a declarative method (rest-api-mapping, graphql-api-mapping), made with the
/// invocation's apiClient so that makeApiClient applies; resolves to `{status, headers, data}`.
export function restRequest(args, { method, path, query, data, headers }) {
  return clientFor(args).request(method, path, data ?? undefined, { query, headers, returnFullResponse: true })
}
