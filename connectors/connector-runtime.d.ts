// Types of what connector-runtime hands connector code: each method's argument and result, the
// apiClient, and the globals beyond the language (Buffer, createHmac, ...). Editors use them through
// jsconfig.json beside this file (globals.d.ts holds Buffer, createHmac and the built-in modules);
// in a method, annotate the argument with JSDoc:
//
//   /** @param {import('../../connector-runtime').HandleArgs} args
//       @returns {Promise<import('../../connector-runtime').HandleResult>} */
//   export default async function handle({ data, headers, rawBody, state }) { ... }

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json }
export type JsonObject = { [key: string]: Json }

/** Per-call options of apiClient; each overrides what makeApiClient gave. */
export interface RestApiClientOptions {
  baseUri?: string
  headers?: Record<string, string>
  query?: Record<string, unknown>
  auth?: { username: string; password?: string }
  /** Resolve to `{ status, headers, data }` instead of the body. */
  returnFullResponse?: boolean
  /** `arraybuffer` (or `stream`) resolves to a Buffer; `text` skips JSON parsing. */
  responseType?: 'json' | 'text' | 'arraybuffer' | 'stream'
}

export interface FullResponse<T = any> {
  status: number
  headers: Record<string, string | string[]>
  data: T
}

/** Calls the external app. Relative paths join the base URI; absolute URLs pass through. Bodies:
 *  objects as JSON; strings, Buffers and URLSearchParams as given. Resolves to the parsed JSON body,
 *  else the text. A non-2xx answer rejects with the SDK's ConnectionError (`.data.key` is
 *  `access_token_expired` for 401, `rate_limit_exceeded` for 429; `.data.data` is the body). */
export interface ApiClient {
  get<T = any>(path: string, query?: Record<string, unknown>, options?: RestApiClientOptions): Promise<T>
  post<T = any>(path: string, data?: unknown, options?: RestApiClientOptions): Promise<T>
  put<T = any>(path: string, data?: unknown, options?: RestApiClientOptions): Promise<T>
  patch<T = any>(path: string, data?: unknown, options?: RestApiClientOptions): Promise<T>
  delete<T = any>(path: string, data?: unknown, options?: RestApiClientOptions): Promise<T>
}

/** What every method receives. */
export interface MethodArgs<P = JsonObject, S = JsonObject> {
  /** The event's parameters, matching its `parametersSchema`. */
  parameters: P
  credentials: JsonObject
  connectorParameters: JsonObject
  apiClient: ApiClient
  /** The same object as `apiClient`. */
  externalApiClient: ApiClient
  state: S
}

export interface SubscribeArgs<P = JsonObject> extends Omit<MethodArgs<P>, 'state'> {
  /** Where the external app must send its webhooks. */
  webhookUri: string
}
export interface SubscribeResult<S = JsonObject> {
  state?: S
  /** Milliseconds since the epoch at which `refresh` runs. */
  nextRefreshTimestamp?: number
}

export interface HandleArgs<P = JsonObject, S = JsonObject> extends MethodArgs<P, S> {
  /** The query string; repeated keys become arrays. */
  query: Record<string, string | string[]>
  /** The body, parsed by its Content-Type (JSON, form, text). */
  data: any
  /** The same as `data`, as the docs' examples call it. */
  body: any
  /** Lowercased header names. */
  headers: Record<string, string>
  /** The exact body text, for signature checks. */
  rawBody: string
  /** The request's HTTP method (GET and HEAD reach handle too). */
  method: string
  /** This subscription's webhook URI (some signatures cover it: Trello, Twilio). */
  webhookUri: string
}
export interface RecordEvent {
  type: 'created' | 'updated' | 'deleted'
  record: { id: string; [field: string]: unknown }
}
/** Any other event: listed as `{type, payload}`. */
export interface PayloadEvent {
  type: string
  payload: unknown
}
export interface HandleResult<S = JsonObject> {
  events?: Array<RecordEvent | PayloadEvent | JsonObject>
  /** The reply to the external app; 200 with no body when absent. */
  response?: { status?: number; headers?: Record<string, string>; data?: unknown }
  /** Replaces the subscription's state (during subscribe: subscribe's state is merged over it). */
  state?: S
}

export interface RefreshArgs<P = JsonObject, S = JsonObject> extends MethodArgs<P, S> {
  webhookUri: string
}
export interface RefreshResult<S = JsonObject> {
  /** Omitted: the state stays as it was. */
  state?: S
  nextRefreshTimestamp?: number
}

export type UnsubscribeArgs<P = JsonObject, S = JsonObject> = MethodArgs<P, S>

export interface MakeApiClientArgs {
  credentials: JsonObject
  connectorParameters: JsonObject
  parameters: JsonObject
}
export interface ApiClientConfig {
  baseUri?: string
  /** Alias of baseUri. */
  baseUrl?: string
  headers?: Record<string, string>
  query?: Record<string, unknown>
  auth?: { username: string; password?: string }
}

export interface GetEventSelectorResult {
  globalWebhookKey: string
  globalWebhookEventSelector: string
}
export interface GetEventSelectorArgs<P = JsonObject> {
  apiClient: ApiClient
  externalApiClient: ApiClient
  credentials: JsonObject
  connectorParameters: JsonObject
  parameters: P
}
export interface GlobalWebhookHandleArgs {
  query: Record<string, string | string[]>
  data: any
  body: any
  headers: Record<string, string>
  rawBody: string
  method: string
  /** The global webhook's one URI. */
  webhookUri: string
  /** The connector's parameters (`serve --connector-parameters`); no connection is known here. */
  parameters: JsonObject
  /** The same as `parameters`. */
  connectorParameters: JsonObject
}
export interface GlobalWebhookHandleResult {
  /** Each payload goes to every subscription whose getEventSelector gave this `selector`. */
  events?: Array<{ selector: string; payload: unknown }>
  response?: { status?: number; headers?: Record<string, string>; data?: unknown }
}

export type BinaryLike = string | ArrayBuffer | ArrayBufferView
export type Encoding = 'utf8' | 'utf-8' | 'hex' | 'base64' | 'base64url' | 'latin1' | 'binary' | 'ascii' | 'utf16le' | 'ucs2'
export type DigestAlgorithm = 'sha1' | 'sha256' | 'sha384' | 'sha512' | 'md5'

export interface Hash {
  update(data: BinaryLike, inputEncoding?: Encoding): Hash
  digest(): Buffer
  digest(encoding: 'hex' | 'base64' | 'base64url' | 'latin1' | 'binary'): string
}
