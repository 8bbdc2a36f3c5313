// The one place the console talks HTTP: it sends the key, encodes queries
// the way grpc-gateway reads them, and turns every failure into an ApiError
// that says what happened in terms a page can explain.

/** gRPC code names by number, as google.rpc.Status carries them. */
const CODE_NAMES = [
  'OK', 'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND', 'ALREADY_EXISTS',
  'PERMISSION_DENIED', 'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED', 'OUT_OF_RANGE',
  'UNIMPLEMENTED', 'INTERNAL', 'UNAVAILABLE', 'DATA_LOSS', 'UNAUTHENTICATED',
] as const
export type CodeName = (typeof CODE_NAMES)[number] | 'NETWORK'

/** The code an HTTP status stands for when the body says nothing (a proxy's page, say). */
function codeOfHTTP(status: number): CodeName {
  switch (status) {
    case 400: return 'INVALID_ARGUMENT'
    case 401: return 'UNAUTHENTICATED'
    case 403: return 'PERMISSION_DENIED'
    case 404: return 'NOT_FOUND'
    case 409: return 'ABORTED'
    case 413: return 'INVALID_ARGUMENT'
    case 429: return 'RESOURCE_EXHAUSTED'
    case 501: return 'UNIMPLEMENTED'
    case 502:
    case 503: return 'UNAVAILABLE'
    case 504: return 'DEADLINE_EXCEEDED'
    default: return status >= 500 ? 'INTERNAL' : 'UNKNOWN'
  }
}

export interface FieldViolation {
  field: string
  description: string
}

/** An error of a call: the HTTP status, the gRPC code, and the ErrorInfo when there is one. */
export class ApiError extends Error {
  readonly status: number
  readonly code: CodeName
  readonly reason: string
  readonly domain: string
  readonly metadata: Record<string, string>
  readonly fieldViolations: FieldViolation[]
  readonly requestId: string

  constructor(init: {
    status: number
    code: CodeName
    message: string
    reason?: string
    domain?: string
    metadata?: Record<string, string>
    fieldViolations?: FieldViolation[]
    requestId?: string
  }) {
    super(init.message)
    this.name = 'ApiError'
    this.status = init.status
    this.code = init.code
    this.reason = init.reason ?? ''
    this.domain = init.domain ?? ''
    this.metadata = init.metadata ?? {}
    this.fieldViolations = init.fieldViolations ?? []
    this.requestId = init.requestId ?? ''
  }

  /** The service the gateway could not reach (503 SERVICE_UNAVAILABLE), else "". */
  get unavailableService(): string {
    return this.code === 'UNAVAILABLE' || this.code === 'DEADLINE_EXCEEDED' ? (this.metadata.service ?? '') : ''
  }

  /** The key may not make this call: asking again will not help. */
  get refused(): boolean {
    return this.code === 'PERMISSION_DENIED' || this.code === 'UNAUTHENTICATED'
  }

  /** The session in the way of a refused booking (STUDIO_/HOST_DOUBLE_BOOKED), else "". */
  get conflictingSession(): string {
    return this.metadata.conflicting_session ?? ''
  }
}

interface StatusDetail {
  '@type'?: string
  reason?: string
  domain?: string
  metadata?: Record<string, string>
  fieldViolations?: { field?: string; description?: string }[]
}

/** toApiError reads a google.rpc.Status body; anything else still gives a usable error. */
export function toApiError(status: number, body: string, requestId = ''): ApiError {
  let parsed: { code?: number; message?: string; details?: StatusDetail[] } | undefined
  try {
    const v: unknown = JSON.parse(body)
    if (v && typeof v === 'object') parsed = v as typeof parsed
  } catch {
    parsed = undefined
  }
  const code: CodeName =
    parsed && typeof parsed.code === 'number' && CODE_NAMES[parsed.code] ? CODE_NAMES[parsed.code]! : codeOfHTTP(status)
  const message = parsed?.message || (body.trim() && !parsed ? body.trim().slice(0, 300) : `HTTP ${status}`)
  let reason = ''
  let domain = ''
  let metadata: Record<string, string> = {}
  const fieldViolations: FieldViolation[] = []
  for (const d of parsed?.details ?? []) {
    const t = d['@type'] ?? ''
    if (t.endsWith('google.rpc.ErrorInfo')) {
      reason = d.reason ?? ''
      domain = d.domain ?? ''
      metadata = d.metadata ?? {}
    } else if (t.endsWith('google.rpc.BadRequest')) {
      for (const v of d.fieldViolations ?? []) fieldViolations.push({ field: v.field ?? '', description: v.description ?? '' })
    }
  }
  return new ApiError({ status, code, message, reason, domain, metadata, fieldViolations, requestId })
}

export type Query = Record<string, string | number | boolean | string[] | undefined | null>

/** encodeQuery writes the query as grpc-gateway reads it: repeated fields repeat, empty ones are left out. */
export function encodeQuery(q: Query | undefined): string {
  if (!q) return ''
  const p = new URLSearchParams()
  for (const [k, v] of Object.entries(q)) {
    if (v === undefined || v === null || v === '' || v === false) continue
    if (Array.isArray(v)) {
      for (const x of v) if (x !== '') p.append(k, x)
    } else {
      p.append(k, String(v))
    }
  }
  const s = p.toString()
  return s ? '?' + s : ''
}

export interface ClientOptions {
  /** Where the gateway is; "" for the page's own origin. */
  base?: string
  /** The key to send, read at each call (it changes when someone signs in or out). */
  key: () => string
  fetch?: typeof fetch
  /** Called on every 401, so the app can say the key no longer works. */
  onUnauthenticated?: (e: ApiError) => void
}

export interface CallOptions {
  query?: Query
  body?: unknown
  signal?: AbortSignal
  /** Use this key instead of the signed-in one (signing in checks a key before keeping it). */
  key?: string
}

export class Client {
  private readonly opts: ClientOptions
  constructor(opts: ClientOptions) {
    this.opts = opts
  }

  async call<T>(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, o: CallOptions = {}): Promise<T> {
    const headers: Record<string, string> = { Accept: 'application/json' }
    const key = o.key ?? this.opts.key()
    if (key) headers.Authorization = 'Bearer ' + key
    let body: string | undefined
    if (o.body !== undefined) {
      headers['Content-Type'] = 'application/json'
      body = JSON.stringify(o.body)
    }
    const f = this.opts.fetch ?? globalThis.fetch.bind(globalThis)
    let res: Response
    try {
      res = await f((this.opts.base ?? '') + path + encodeQuery(o.query), { method, headers, body, signal: o.signal, cache: 'no-store' })
    } catch (e) {
      if (e instanceof DOMException && e.name === 'AbortError') throw e
      throw new ApiError({ status: 0, code: 'NETWORK', message: e instanceof Error ? e.message : String(e), reason: 'GATEWAY_UNREACHABLE' })
    }
    const text = await res.text()
    if (!res.ok) {
      const err = toApiError(res.status, text, res.headers.get('X-Request-Id') ?? '')
      if (err.code === 'UNAUTHENTICATED' && o.key === undefined) this.opts.onUnauthenticated?.(err)
      throw err
    }
    if (!text) return {} as T
    try {
      return JSON.parse(text) as T
    } catch {
      throw new ApiError({ status: res.status, code: 'INTERNAL', message: 'the answer is not JSON', reason: 'MALFORMED_RESPONSE' })
    }
  }

  get<T>(path: string, query?: Query, o: Omit<CallOptions, 'query' | 'body'> = {}): Promise<T> {
    return this.call<T>('GET', path, { ...o, query })
  }

  post<T>(path: string, body: unknown = {}, query?: Query): Promise<T> {
    return this.call<T>('POST', path, { body, query })
  }

  patch<T>(path: string, body: unknown, query?: Query): Promise<T> {
    return this.call<T>('PATCH', path, { body, query })
  }
}
