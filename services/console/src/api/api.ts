// The routes of the suite's HTTP API that the console uses, one typed
// function each, named after its RPC. Requests follow the HTTP rules in
// proto/alliance/*/v1/*_http.yaml: the body is the resource, the other
// fields go in the query.

import { Client } from './client'
import type {
  AllianceOverview, ApiKey, CallerIdentity, CreateApiKeyResponse, Dimension, District, Member, MemberKind,
  MemberState, Metric, Page, Platform, Product, QuerySalesReportRequest, QuerySalesReportResponse, Sale,
  Session, SessionState, SessionSummary, Slot, ListTopPerformersResponse,
} from './types'

/** A resource name in a URL path: each segment escaped, the slashes kept. */
export function path(name: string): string {
  return name.split('/').map(encodeURIComponent).join('/')
}

/** members/x -> x */
export function idOf(name: string | undefined): string {
  if (!name) return ''
  return name.slice(name.lastIndexOf('/') + 1)
}

/** members/b/studios/s -> members/b */
export function baseOfStudio(studio: string | undefined): string {
  if (!studio) return ''
  const i = studio.indexOf('/studios/')
  return i < 0 ? '' : studio.slice(0, i)
}

export class Api {
  constructor(readonly http: Client) {}

  // member-registry
  getCaller(key?: string) {
    return this.http.call<CallerIdentity>('GET', '/v1/caller', key === undefined ? {} : { key })
  }
  listDistricts() {
    return this.http.get<{ districts?: District[] }>('/v1/districts').then((r) => r.districts ?? [])
  }
  async listMembers(q: { kind?: MemberKind | ''; district?: string; state?: MemberState | ''; agency?: string; pageSize?: number; pageToken?: string }): Promise<Page<Member>> {
    const r = await this.http.get<{ members?: Member[]; nextPageToken?: string }>('/v1/members', q)
    return { items: r.members ?? [], nextPageToken: r.nextPageToken }
  }
  /** Every member of a kind (the directory is small enough to page through). */
  async allMembers(q: { kind?: MemberKind; district?: string; state?: MemberState }): Promise<Member[]> {
    const out: Member[] = []
    let token: string | undefined
    for (let i = 0; i < 50; i++) {
      const p = await this.listMembers({ ...q, pageSize: 1000, pageToken: token })
      out.push(...p.items)
      token = p.nextPageToken
      if (!token) break
    }
    return out
  }
  getMember(name: string) {
    return this.http.get<Member>('/v1/' + path(name))
  }
  batchGetMembers(names: string[]) {
    if (names.length === 0) return Promise.resolve([] as Member[])
    return this.http.get<{ members?: Member[] }>('/v1/members:batchGet', { names }).then((r) => r.members ?? [])
  }
  createMember(member: Member, memberId: string, requestId: string) {
    return this.http.post<Member>('/v1/members', member, { memberId, requestId })
  }
  /** The fields present in patch are the ones changed (the gateway makes the mask from the body). */
  updateMember(name: string, patch: Member) {
    return this.http.patch<Member>('/v1/' + path(name), patch)
  }
  suspendMember(name: string, reason: string, etag?: string) {
    return this.http.post<Member>('/v1/' + path(name) + ':suspend', { reason, etag })
  }
  reinstateMember(name: string, etag?: string) {
    return this.http.post<Member>('/v1/' + path(name) + ':reinstate', { etag })
  }
  async listProducts(parent: string, q: { pageSize?: number; pageToken?: string } = {}): Promise<Page<Product>> {
    const r = await this.http.get<{ products?: Product[]; nextPageToken?: string }>('/v1/' + path(parent) + '/products', q)
    return { items: r.products ?? [], nextPageToken: r.nextPageToken }
  }
  getProduct(name: string) {
    return this.http.get<Product>('/v1/' + path(name))
  }
  createProduct(parent: string, product: Product, productId: string, requestId: string) {
    return this.http.post<Product>('/v1/' + path(parent) + '/products', product, { productId, requestId })
  }
  updateProduct(name: string, patch: Product) {
    return this.http.patch<Product>('/v1/' + path(name), patch)
  }
  createApiKey(member: string, displayName: string) {
    return this.http.post<CreateApiKeyResponse>('/v1/' + path(member) + '/apiKeys', { displayName })
  }
  listApiKeys(member: string) {
    return this.http.get<{ apiKeys?: ApiKey[] }>('/v1/' + path(member) + '/apiKeys', { pageSize: 100 }).then((r) => r.apiKeys ?? [])
  }
  revokeApiKey(name: string) {
    return this.http.post<ApiKey>('/v1/' + path(name) + ':revoke', {})
  }

  // session-scheduling
  async listSessions(q: {
    host?: string; base?: string; studio?: string; merchant?: string; state?: SessionState | ''
    platform?: Platform | ''; startAfter?: string; startBefore?: string; pageSize?: number; pageToken?: string
  }): Promise<Page<Session>> {
    const r = await this.http.get<{ sessions?: Session[]; nextPageToken?: string }>('/v1/sessions', q)
    return { items: r.sessions ?? [], nextPageToken: r.nextPageToken }
  }
  getSession(name: string) {
    return this.http.get<Session>('/v1/' + path(name))
  }
  createSession(session: Session, requestId: string) {
    return this.http.post<Session>('/v1/sessions', session, { requestId })
  }
  startSession(name: string, etag?: string) {
    return this.http.post<Session>('/v1/' + path(name) + ':start', { etag })
  }
  endSession(name: string, etag?: string) {
    return this.http.post<Session>('/v1/' + path(name) + ':end', { etag })
  }
  cancelSession(name: string, reason: string, etag?: string) {
    return this.http.post<Session>('/v1/' + path(name) + ':cancel', { reason, etag })
  }
  approveSession(name: string, etag?: string) {
    return this.http.post<Session>('/v1/' + path(name) + ':approve', { etag })
  }
  declineSession(name: string, reason: string, etag?: string) {
    return this.http.post<Session>('/v1/' + path(name) + ':decline', { reason, etag })
  }
  findAvailableSlots(q: { studio?: string; base?: string; host?: string; duration: string; windowStart: string; windowEnd: string }) {
    return this.http.get<{ slots?: Slot[] }>('/v1/sessions:findAvailableSlots', q).then((r) => r.slots ?? [])
  }

  // sales-reporting
  async listSales(session: string, q: { pageSize?: number; pageToken?: string } = {}): Promise<Page<Sale>> {
    const r = await this.http.get<{ sales?: Sale[]; nextPageToken?: string }>('/v1/sales', { session, ...q })
    return { items: r.sales ?? [], nextPageToken: r.nextPageToken }
  }
  getSessionSummary(session: string) {
    return this.http.get<SessionSummary>('/v1/' + path(session) + ':summary')
  }
  queryReport(req: QuerySalesReportRequest) {
    return this.http.post<QuerySalesReportResponse>('/v1/reports:query', req)
  }
  topPerformers(q: { dimension: Dimension; metric: Metric; startDate: string; endDate: string; limit?: number }) {
    return this.http.get<ListTopPerformersResponse>('/v1/reports:top', q)
  }
  overview(startDate: string, endDate: string) {
    return this.http.get<AllianceOverview>('/v1/reports:overview', { startDate, endDate })
  }
}
