// The JSON of the suite's HTTP API, as the gateway writes it (protojson:
// lowerCamelCase names, enums by name, int64 as strings, and zero values
// LEFT OUT, so every field is optional). Add a field here when the API gains
// one; the proto files under proto/ are the source of truth.

export type Int64 = string

export interface Money {
  currencyCode?: string
  minorUnits?: Int64
}

// --- member-registry -------------------------------------------------------

export type MemberKind =
  | 'MEMBER_KIND_HOST'
  | 'MEMBER_KIND_BASE'
  | 'MEMBER_KIND_AGENCY'
  | 'MEMBER_KIND_MERCHANT'
  | 'MEMBER_KIND_DISTRICT_OFFICE'
export const MEMBER_KINDS: MemberKind[] = [
  'MEMBER_KIND_HOST', 'MEMBER_KIND_BASE', 'MEMBER_KIND_AGENCY', 'MEMBER_KIND_MERCHANT', 'MEMBER_KIND_DISTRICT_OFFICE',
]

export type MemberState = 'MEMBER_STATE_ACTIVE' | 'MEMBER_STATE_SUSPENDED' | 'MEMBER_STATE_WITHDRAWN'
export const MEMBER_STATES: MemberState[] = ['MEMBER_STATE_ACTIVE', 'MEMBER_STATE_SUSPENDED', 'MEMBER_STATE_WITHDRAWN']

export interface Studio {
  studioId?: string
  displayName?: string
}

export interface Contact {
  person?: string
  phone?: string
  email?: string
}

export interface Member {
  name?: string
  kind?: MemberKind
  displayName?: string
  district?: string
  state?: MemberState
  agency?: string
  official?: boolean
  studios?: Studio[]
  contact?: Contact
  createTime?: string
  updateTime?: string
  etag?: string
  stateReason?: string
}

export type ProductState = 'PRODUCT_STATE_ACTIVE' | 'PRODUCT_STATE_DISCONTINUED'

export interface Product {
  name?: string
  displayName?: string
  category?: string
  originDistrict?: string
  listPrice?: Money
  state?: ProductState
  createTime?: string
  updateTime?: string
  etag?: string
}

export interface District {
  code?: string
  displayName?: string
}

export type ApiKeyState = 'API_KEY_STATE_ACTIVE' | 'API_KEY_STATE_REVOKED'

export interface ApiKey {
  name?: string
  displayName?: string
  state?: ApiKeyState
  createTime?: string
  revokeTime?: string
}

export interface CreateApiKeyResponse {
  apiKey?: ApiKey
  key?: string
}

export type CallerKind = 'CALLER_KIND_ADMIN' | 'CALLER_KIND_STAFF' | 'CALLER_KIND_MEMBER' | 'CALLER_KIND_SERVICE'

export interface CallerIdentity {
  kind?: CallerKind
  member?: string
  memberKind?: MemberKind
  displayName?: string
  /** ADMIN or STAFF_READONLY for staff keys. */
  role?: string
  key?: string
}

// --- session-scheduling ----------------------------------------------------

export type Platform =
  | 'PLATFORM_TAOBAO_LIVE'
  | 'PLATFORM_DOUYIN'
  | 'PLATFORM_KUAISHOU'
  | 'PLATFORM_WECHAT_CHANNELS'
  | 'PLATFORM_JD'
  | 'PLATFORM_PINDUODUO'
  | 'PLATFORM_OTHER'
export const PLATFORMS: Platform[] = [
  'PLATFORM_TAOBAO_LIVE', 'PLATFORM_DOUYIN', 'PLATFORM_KUAISHOU', 'PLATFORM_WECHAT_CHANNELS',
  'PLATFORM_JD', 'PLATFORM_PINDUODUO', 'PLATFORM_OTHER',
]

export type SessionState =
  | 'SESSION_STATE_SCHEDULED'
  | 'SESSION_STATE_LIVE'
  | 'SESSION_STATE_ENDED'
  | 'SESSION_STATE_CANCELLED'
  | 'SESSION_STATE_PENDING_APPROVAL'
  | 'SESSION_STATE_DECLINED'
  | 'SESSION_STATE_NO_SHOW'

/** States in which a session can no longer change. */
export const FINAL_STATES: SessionState[] = [
  'SESSION_STATE_ENDED', 'SESSION_STATE_CANCELLED', 'SESSION_STATE_DECLINED', 'SESSION_STATE_NO_SHOW',
]

export interface Session {
  name?: string
  title?: string
  host?: string
  studio?: string
  merchants?: string[]
  products?: string[]
  platform?: Platform
  platformRoomId?: string
  startTime?: string
  endTime?: string
  state?: SessionState
  actualStartTime?: string
  actualEndTime?: string
  cancelReason?: string
  createTime?: string
  updateTime?: string
  etag?: string
  /** sessionSeries/{series} for an occurrence of a series. */
  series?: string
  declineReason?: string
}

export interface Slot {
  studio?: string
  startTime?: string
  endTime?: string
}

// --- sales-reporting -------------------------------------------------------

export type SaleKind = 'SALE_KIND_ORDER' | 'SALE_KIND_REFUND'

export interface Attribution {
  host?: string
  agency?: string
  base?: string
  studio?: string
  district?: string
  merchant?: string
  category?: string
  originDistrict?: string
  official?: boolean
}

export interface Sale {
  name?: string
  session?: string
  product?: string
  kind?: SaleKind
  quantity?: Int64
  amount?: Money
  platform?: Platform
  externalId?: string
  refundOf?: string
  eventTime?: string
  createTime?: string
  attribution?: Attribution
}

export interface SessionSummary {
  session?: string
  orders?: Int64
  units?: Int64
  gross?: Money
  refunds?: Money
  net?: Money
  firstEventTime?: string
  lastEventTime?: string
  refundCount?: Int64
}

export type Granularity =
  | 'GRANULARITY_DAY'
  | 'GRANULARITY_WEEK'
  | 'GRANULARITY_MONTH'
  | 'GRANULARITY_QUARTER'
  | 'GRANULARITY_YEAR'
  | 'GRANULARITY_TOTAL'
export const GRANULARITIES: Granularity[] = [
  'GRANULARITY_DAY', 'GRANULARITY_WEEK', 'GRANULARITY_MONTH', 'GRANULARITY_QUARTER', 'GRANULARITY_YEAR', 'GRANULARITY_TOTAL',
]

export type Dimension =
  | 'DIMENSION_DISTRICT'
  | 'DIMENSION_ORIGIN_DISTRICT'
  | 'DIMENSION_HOST'
  | 'DIMENSION_AGENCY'
  | 'DIMENSION_BASE'
  | 'DIMENSION_MERCHANT'
  | 'DIMENSION_CATEGORY'
  | 'DIMENSION_PLATFORM'
export const DIMENSIONS: Dimension[] = [
  'DIMENSION_DISTRICT', 'DIMENSION_ORIGIN_DISTRICT', 'DIMENSION_HOST', 'DIMENSION_AGENCY',
  'DIMENSION_BASE', 'DIMENSION_MERCHANT', 'DIMENSION_CATEGORY', 'DIMENSION_PLATFORM',
]

export type Metric = 'METRIC_NET' | 'METRIC_GROSS' | 'METRIC_ORDERS' | 'METRIC_UNITS'
export const METRICS: Metric[] = ['METRIC_NET', 'METRIC_GROSS', 'METRIC_ORDERS', 'METRIC_UNITS']

export interface Metrics {
  sessions?: Int64
  orders?: Int64
  units?: Int64
  gross?: Money
  refunds?: Money
  net?: Money
  averageOrderValue?: Money
  // Traffic (session dimensions only); the ratios are absent without traffic.
  views?: Int64
  viewers?: Int64
  peakConcurrentViewers?: Int64
  productClicks?: Int64
  productImpressions?: Int64
  gpm?: Money
  conversionRate?: number
  clickThroughRate?: number
  averageViewDuration?: string
  trafficSessions?: Int64
}

export interface GroupKey {
  dimension?: Dimension
  key?: string
  displayName?: string
}

export interface ReportRow {
  periodStart?: string
  periodEnd?: string
  keys?: GroupKey[]
  metrics?: Metrics
}

export interface ReportFilters {
  district?: string
  originDistrict?: string
  host?: string
  agency?: string
  base?: string
  merchant?: string
  category?: string
  platform?: Platform
}

export interface QuerySalesReportRequest extends ReportFilters {
  startDate: string
  endDate: string
  granularity?: Granularity
  groupBy?: Dimension[]
  pageSize?: number
  pageToken?: string
}

export interface QuerySalesReportResponse {
  rows?: ReportRow[]
  totals?: Metrics
  nextPageToken?: string
  dataThrough?: string
}

export interface TopPerformer {
  rank?: number
  key?: string
  displayName?: string
  value?: Int64
  metrics?: Metrics
}

export interface ListTopPerformersResponse {
  entries?: TopPerformer[]
  dataThrough?: string
}

export interface AllianceOverview {
  startDate?: string
  endDate?: string
  sessionsHeld?: Int64
  sessionsWithSales?: Int64
  gross?: Money
  refunds?: Money
  net?: Money
  orders?: Int64
  activeHosts?: Int64
  activeBases?: Int64
  activeAgencies?: Int64
  topDistricts?: TopPerformer[]
  dataThrough?: string
  /** The period's figures as a report's totals, with GPM and conversion. */
  totals?: Metrics
}

/** A page of a List RPC. */
export interface Page<T> {
  items: T[]
  nextPageToken?: string
}
