// The globals and built-in modules connector-runtime gives connector code beyond the language and
// the web platform (which the DOM lib describes): Buffer, createHmac, createHash, and the modules
// `crypto`, `buffer` and the vendor SDK. A script, not a module, so that its declarations are global.

type BinaryLike = import('./connector-runtime').BinaryLike
type Encoding = import('./connector-runtime').Encoding
type DigestAlgorithm = import('./connector-runtime').DigestAlgorithm
type Hash = import('./connector-runtime').Hash

/** Node's Buffer: a Uint8Array with encodings. */
interface Buffer extends Uint8Array {
  toString(encoding?: Encoding, start?: number, end?: number): string
  toJSON(): { type: 'Buffer'; data: number[] }
  equals(other: Uint8Array): boolean
  compare(other: Uint8Array): -1 | 0 | 1
  slice(start?: number, end?: number): Buffer
  subarray(start?: number, end?: number): Buffer
  write(text: string, offset?: number, length?: number, encoding?: Encoding): number
}
interface BufferConstructor {
  from(data: string, encoding?: Encoding): Buffer
  from(data: ArrayBuffer | ArrayLike<number> | Uint8Array, byteOffset?: number, length?: number): Buffer
  alloc(size: number, fill?: string | number): Buffer
  allocUnsafe(size: number): Buffer
  byteLength(data: BinaryLike, encoding?: Encoding): number
  concat(list: readonly Uint8Array[], totalLength?: number): Buffer
  isBuffer(value: unknown): value is Buffer
  isEncoding(encoding: string): boolean
  compare(a: Uint8Array, b: Uint8Array): -1 | 0 | 1
}
declare var Buffer: BufferConstructor

/** Node's crypto.createHmac, available without an import (the docs' examples use it so). */
declare function createHmac(algorithm: DigestAlgorithm, key: BinaryLike): Hash
declare function createHash(algorithm: DigestAlgorithm): Hash

declare module 'crypto' {
  export function createHmac(algorithm: DigestAlgorithm, key: BinaryLike): Hash
  export function createHash(algorithm: DigestAlgorithm): Hash
  export function timingSafeEqual(a: ArrayBufferView, b: ArrayBufferView): boolean
  export function randomUUID(): string
  export function randomBytes(size: number): Buffer
  export function getRandomValues<T extends ArrayBufferView>(array: T): T
}
declare module 'node:crypto' {
  export * from 'crypto'
}
declare module 'buffer' {
  const NodeBuffer: BufferConstructor
  export { NodeBuffer as Buffer }
}
declare module 'node:buffer' {
  export * from 'buffer'
}

declare module '@integration-app/sdk' {
  export interface ErrorData {
    type?: string
    key?: string
    message: string
    data?: unknown
  }
  export class MembraneError extends Error {
    constructor(arg: string | Error | ErrorData)
    isMembraneError: true
    data: ErrorData
  }
  export const IntegrationAppError: typeof MembraneError
  export class InternalError extends MembraneError {}
  export class BadRequestError extends MembraneError {}
  export class ConnectionError extends MembraneError {
    /** Set on errors thrown by apiClient for a non-2xx answer: what the app answered. A 404 or 410
     * thrown from refresh makes the service re-create the subscription (or expire it). */
    response?: { status: number; headers: Record<string, string>; data: unknown }
  }
  export class ConfigurationError extends MembraneError {}
  export class ConcurrencyError extends MembraneError {}
  export class CustomCodeError extends MembraneError {}
  export class DependencyError extends MembraneError {}
  export class NotFoundError extends BadRequestError {}
  export class RateLimitExceededError extends BadRequestError {}
  export class NotAuthenticatedError extends BadRequestError {}
  export class AccessDeniedError extends BadRequestError {}
  export function isMembraneError(error: unknown): error is MembraneError
  export const ErrorType: Record<string, string>
  export const ConnectionErrorKey: {
    CONNECTION_IS_DEFUNCT: 'connection_is_defunct'
    ACCESS_TOKEN_EXPIRED: 'access_token_expired'
    RATE_LIMIT_EXCEEDED: 'rate_limit_exceeded'
  }
  export const BadRequestErrorKey: Record<string, string>
}
declare module '@membranehq/sdk' {
  export * from '@integration-app/sdk'
}
