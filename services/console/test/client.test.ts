import { describe, expect, it, vi } from 'vitest'
import { ApiError, Client, encodeQuery, toApiError } from '../src/api/client'
import { Api, path } from '../src/api/api'

/** A fetch that answers once with status and body, recording the request. */
function fake(status: number, body: string, headers: Record<string, string> = {}) {
  const calls: { url: string; init: RequestInit }[] = []
  const f = vi.fn(async (url: string, init: RequestInit) => {
    calls.push({ url, init })
    return new Response(status === 204 ? null : body, { status, headers })
  })
  return { f: f as unknown as typeof fetch, calls }
}

const doubleBooked = JSON.stringify({
  code: 9,
  message: 'studio members/b/studios/s is booked by sessions/first within the changeover buffer',
  details: [
    { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'STUDIO_DOUBLE_BOOKED', domain: 'session.alliance',
      metadata: { conflicting_session: 'sessions/first' } },
  ],
})

describe('API errors are read from google.rpc.Status', () => {
  it('a refused booking names its reason and the session in the way', () => {
    const e = toApiError(400, doubleBooked, 'req-1')
    expect(e.code).toBe('FAILED_PRECONDITION')
    expect(e.reason).toBe('STUDIO_DOUBLE_BOOKED')
    expect(e.domain).toBe('session.alliance')
    expect(e.conflictingSession).toBe('sessions/first')
    expect(e.requestId).toBe('req-1')
  })
  it('a service the gateway cannot reach is named', () => {
    const e = toApiError(503, JSON.stringify({
      code: 14, message: 'sales-reporting is unavailable; nothing was changed, try again later',
      details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'SERVICE_UNAVAILABLE', domain: 'gateway.alliance', metadata: { service: 'sales-reporting' } }],
    }))
    expect(e.code).toBe('UNAVAILABLE')
    expect(e.unavailableService).toBe('sales-reporting')
  })
  it('invalid input lists each bad field', () => {
    const e = toApiError(400, JSON.stringify({
      code: 3, message: 'invalid member',
      details: [
        { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'INVALID_ARGUMENT' },
        { '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: [
          { field: 'member.display_name', description: 'is required' }, { field: 'member.district', description: 'unknown district "atlantis"' }] },
      ],
    }))
    expect(e.fieldViolations).toEqual([
      { field: 'member.display_name', description: 'is required' },
      { field: 'member.district', description: 'unknown district "atlantis"' },
    ])
  })
  it.each([
    [401, 'UNAUTHENTICATED'], [403, 'PERMISSION_DENIED'], [404, 'NOT_FOUND'], [409, 'ABORTED'],
    [502, 'UNAVAILABLE'], [503, 'UNAVAILABLE'], [504, 'DEADLINE_EXCEEDED'], [500, 'INTERNAL'], [418, 'UNKNOWN'],
  ])('a body that is not a Status (a proxy page) still gives a code from HTTP %i', (status, code) => {
    const e = toApiError(status, '<html>Bad Gateway</html>')
    expect(e.code).toBe(code)
    expect(e.message).toContain('Bad Gateway')
    expect(e.reason).toBe('')
  })
  it('an empty body says the HTTP status', () => {
    expect(toApiError(502, '').message).toBe('HTTP 502')
  })
})

describe('the client', () => {
  it('sends the current key as a Bearer token, and JSON bodies', async () => {
    const { f, calls } = fake(200, '{"name":"members/a"}')
    let key = 'adm_first'
    const c = new Client({ key: () => key, fetch: f })
    await c.post('/v1/members', { displayName: '茶园' }, { memberId: 'a' })
    key = 'mk_second'
    await c.get('/v1/members/a')
    expect((calls[0]!.init.headers as Record<string, string>).Authorization).toBe('Bearer adm_first')
    expect(calls[0]!.url).toBe('/v1/members?memberId=a')
    expect(calls[0]!.init.body).toBe('{"displayName":"茶园"}')
    expect((calls[0]!.init.headers as Record<string, string>)['Content-Type']).toBe('application/json')
    expect((calls[1]!.init.headers as Record<string, string>).Authorization).toBe('Bearer mk_second')
  })
  it('sends no Authorization header without a key', async () => {
    const { f, calls } = fake(200, '{}')
    await new Client({ key: () => '', fetch: f }).get('/v1/districts')
    expect((calls[0]!.init.headers as Record<string, string>).Authorization).toBeUndefined()
  })
  it('throws ApiError with the reason on a refusal', async () => {
    const { f } = fake(400, doubleBooked, { 'X-Request-Id': 'abc' })
    const err = await new Client({ key: () => 'k', fetch: f }).post('/v1/sessions', {}).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect((err as ApiError).reason).toBe('STUDIO_DOUBLE_BOOKED')
    expect((err as ApiError).requestId).toBe('abc')
  })
  it('tells the app when the key is refused (401), but not when a key is being tried', async () => {
    const onUnauth = vi.fn()
    const body = JSON.stringify({ code: 16, message: 'missing or invalid API key' })
    const c = new Client({ key: () => 'revoked', fetch: fake(401, body).f, onUnauthenticated: onUnauth })
    await expect(c.get('/v1/members')).rejects.toMatchObject({ code: 'UNAUTHENTICATED' })
    expect(onUnauth).toHaveBeenCalledTimes(1)
    const trial = new Client({ key: () => '', fetch: fake(401, body).f, onUnauthenticated: onUnauth })
    await expect(trial.call('GET', '/v1/caller', { key: 'wrong' })).rejects.toMatchObject({ code: 'UNAUTHENTICATED' })
    expect(onUnauth).toHaveBeenCalledTimes(1)
  })
  it('a gateway that does not answer is a NETWORK error, not a crash', async () => {
    const f = (async () => { throw new TypeError('Failed to fetch') }) as unknown as typeof fetch
    const err = await new Client({ key: () => 'k', fetch: f }).get('/v1/members').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect((err as ApiError).code).toBe('NETWORK')
    expect((err as ApiError).status).toBe(0)
  })
  it('a 200 that is not JSON is an error, not a silent undefined', async () => {
    const err = await new Client({ key: () => 'k', fetch: fake(200, '<html>').f }).get('/v1/members').catch((e: unknown) => e)
    expect((err as ApiError).reason).toBe('MALFORMED_RESPONSE')
  })
})

describe('requests as grpc-gateway reads them', () => {
  it('repeats repeated fields and leaves empty ones out', () => {
    expect(encodeQuery({ names: ['members/a', 'members/b'], kind: '', pageSize: 50, pageToken: undefined, official: false }))
      .toBe('?names=members%2Fa&names=members%2Fb&pageSize=50')
    expect(encodeQuery({})).toBe('')
  })
  it('keeps the slashes of a resource name in the path and escapes the rest', () => {
    expect(path('members/jiulongpo-base/studios/studio-1')).toBe('members/jiulongpo-base/studios/studio-1')
    expect(path('members/a b?')).toBe('members/a%20b%3F')
  })
  it('asks for a session summary at the custom method route', async () => {
    const { f, calls } = fake(200, '{}')
    await new Api(new Client({ key: () => 'k', fetch: f })).getSessionSummary('sessions/s-1')
    expect(calls[0]!.url).toBe('/v1/sessions/s-1:summary')
  })
  it('sends start with the etag it read', async () => {
    const { f, calls } = fake(200, '{}')
    await new Api(new Client({ key: () => 'k', fetch: f })).startSession('sessions/s-1', 'r3')
    expect(calls[0]!.url).toBe('/v1/sessions/s-1:start')
    expect(calls[0]!.init.method).toBe('POST')
    expect(calls[0]!.init.body).toBe('{"etag":"r3"}')
  })
})
