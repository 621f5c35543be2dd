// The error classes of the vendor SDK (`@integration-app/sdk`, `@membranehq/sdk`), with the same
// shapes: `error.data = { type, key?, message, data?, ... }` and `error.isMembraneError`. Connector
// code imports them by name; apiClient throws ConnectionError. Glue module: no imports.

export const ErrorType = Object.freeze({
  BAD_REQUEST: 'bad_request',
  CONNECTION: 'connection',
  CONFIGURATION: 'configuration',
  DEPENDENCY_ERROR: 'dependency_error',
  FLOW_RUN: 'flow_run',
  FLOW_INSTANCE_SETUP: 'flow_instance_setup',
  CONCURRENCY: 'concurrency',
  INTERNAL: 'internal',
  ACTION_RUN: 'action_run',
  ACTION_INSTANCE_SETUP: 'action_instance_setup',
  UNIT_RUN: 'unit_run',
  CUSTOM_CODE: 'custom_code',
  INSUFFICIENT_CREDIT: 'insufficient_credit',
})

export const BadRequestErrorKey = Object.freeze({
  NOT_FOUND: 'not_found',
  NOT_AUTHENTICATED: 'not_authenticated',
  ACCESS_DENIED: 'access_denied',
  ALREADY_EXISTS: 'already_exists',
  RATE_LIMIT_EXCEEDED: 'rate_limit_exceeded',
})

export const ConnectionErrorKey = Object.freeze({
  CONNECTION_IS_DEFUNCT: 'connection_is_defunct',
  ACCESS_TOKEN_EXPIRED: 'access_token_expired',
  RATE_LIMIT_EXCEEDED: 'rate_limit_exceeded',
})

export const ConcurrencyErrorKey = Object.freeze({ LOCK_TIMEOUT: 'lock_timeout' })

class ErrorData {
  constructor(arg) {
    if (arg instanceof Error) {
      this.message = arg.message
      this.stack = arg.stack
      this.type = ErrorType.INTERNAL
    } else if (typeof arg === 'string') {
      this.message = arg
      this.type = ErrorType.INTERNAL
    } else if (typeof arg === 'object' && arg !== null) {
      Object.assign(this, arg)
    } else {
      throw new Error('Invalid argument when creating BaseErrorData: ' + JSON.stringify(arg))
    }
  }
}

export class MembraneError extends Error {
  constructor(arg) {
    const data = new ErrorData(arg)
    super(data.message)
    this.isMembraneError = true
    this.data = data
    if (!this.data.type) this.data.type = ErrorType.INTERNAL
  }

  get name() {
    return this.constructor.name
  }
}

const typed = (type) =>
  class extends MembraneError {
    constructor(arg) {
      super(arg)
      this.data.type = type
    }
  }

export class InternalError extends typed(ErrorType.INTERNAL) {}
export class BadRequestError extends typed(ErrorType.BAD_REQUEST) {}
export class ConcurrencyError extends typed(ErrorType.CONCURRENCY) {}
export class ConfigurationError extends typed(ErrorType.CONFIGURATION) {}
export class FlowInstanceSetupError extends typed(ErrorType.FLOW_INSTANCE_SETUP) {}
export class FlowRunError extends typed(ErrorType.FLOW_RUN) {}
export class ActionRunError extends typed(ErrorType.ACTION_RUN) {}
export class ActionInstanceSetupError extends typed(ErrorType.ACTION_INSTANCE_SETUP) {}
export class UnitRunError extends typed(ErrorType.UNIT_RUN) {}
export class ConnectionError extends typed(ErrorType.CONNECTION) {}
export class CustomCodeError extends typed(ErrorType.CUSTOM_CODE) {}
export class DependencyError extends typed(ErrorType.DEPENDENCY_ERROR) {}
export class InsufficientCreditsError extends typed(ErrorType.INSUFFICIENT_CREDIT) {}

const keyed = (key) =>
  class extends BadRequestError {
    constructor(arg) {
      super(arg)
      this.data.key = key
    }
  }

export class NotFoundError extends keyed(BadRequestErrorKey.NOT_FOUND) {}
export class RateLimitExceededError extends keyed(BadRequestErrorKey.RATE_LIMIT_EXCEEDED) {}
export class NotAuthenticatedError extends keyed(BadRequestErrorKey.NOT_AUTHENTICATED) {}
export class AccessDeniedError extends keyed(BadRequestErrorKey.ACCESS_DENIED) {}

export const IntegrationAppError = MembraneError

export function isMembraneError(error) {
  return Boolean(error && error.isMembraneError)
}

export const isIntegrationAppError = isMembraneError
