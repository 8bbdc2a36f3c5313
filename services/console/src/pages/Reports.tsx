// The report builder: a period, a granularity, up to two dimensions and
// the filters, as a table and a chart. The query lives in the address, so a
// report can be bookmarked and sent.

import { useMemo, useState, type FormEvent } from 'react'
import type { Dimension, Granularity, Member, Platform, QuerySalesReportRequest, QuerySalesReportResponse, ReportFilters, ReportRow } from '../api/types'
import { DIMENSIONS, GRANULARITIES, PLATFORMS } from '../api/types'
import { useI18n } from '../i18n'
import { useLoad } from '../hooks'
import { api, useSignedIn } from '../session'
import { navigate, useLocation } from '../router'
import { Chart, type ChartOption } from '../components/Chart'
import { Empty, ErrorBox, Field, Freshness, Loading, Money, PeriodPicker, periodFromQuery, platformName, type Preset, type Period } from '../components/ui'
import { compactYuan, formatCount, formatYuan, yuanNumber } from '../format'
import { useDistricts } from '../directory'

const PAGE = 200
/** Series drawn at most; the table has every row. */
const MAX_SERIES = 8

type FilterKey = 'district' | 'originDistrict' | 'host' | 'agency' | 'base' | 'merchant' | 'category' | 'platform'
const FILTERS: FilterKey[] = ['district', 'originDistrict', 'host', 'agency', 'base', 'merchant', 'category', 'platform']

/** reportFromQuery reads the builder's state from the address. */
export function reportFromQuery(q: URLSearchParams): QuerySalesReportRequest & { preset: Preset } {
  const { preset, period } = periodFromQuery(q)
  const g = ('GRANULARITY_' + (q.get('g') ?? 'MONTH')) as Granularity
  const by = (q.get('by') ?? '').split(',').filter(Boolean).map((d) => 'DIMENSION_' + d as Dimension).filter((d) => DIMENSIONS.includes(d)).slice(0, 2)
  const req: QuerySalesReportRequest & { preset: Preset } = {
    preset, startDate: period.start, endDate: period.end,
    granularity: GRANULARITIES.includes(g) ? g : 'GRANULARITY_MONTH', groupBy: [...new Set(by)],
  }
  for (const f of FILTERS) {
    const v = q.get(f)
    if (v) (req as unknown as Record<string, string>)[f] = v
  }
  return req
}

export function reportToQuery(r: QuerySalesReportRequest, preset: Preset): string {
  const q = new URLSearchParams()
  if (preset === 'custom') {
    q.set('from', r.startDate)
    q.set('to', r.endDate)
  } else if (preset !== 'year') {
    q.set('period', preset)
  }
  q.set('g', (r.granularity ?? 'GRANULARITY_MONTH').replace('GRANULARITY_', ''))
  if (r.groupBy?.length) q.set('by', r.groupBy.map((d) => d.replace('DIMENSION_', '')).join(','))
  for (const f of FILTERS) {
    const v = (r as unknown as Record<string, string | undefined>)[f]
    if (v) q.set(f, v)
  }
  return q.toString()
}

export function Reports() {
  const { t } = useI18n()
  const { caps } = useSignedIn()
  const loc = useLocation()
  const asked = reportFromQuery(loc.query)
  const { preset: _p, ...req } = asked
  const key = JSON.stringify(req)
  const [more, setMore] = useState<{ key: string; rows: ReportRow[]; token?: string }>({ key: '', rows: [] })
  const first = useLoad(() => api.queryReport({ ...req, pageSize: PAGE }), [key])
  const extra = more.key === key ? more : { key, rows: [] as ReportRow[], token: undefined }
  const rows = [...(first.data?.rows ?? []), ...extra.rows]
  const token = extra.rows.length > 0 ? extra.token : first.data?.nextPageToken
  const [moreError, setMoreError] = useState<unknown>()
  const loadMore = async () => {
    setMoreError(undefined)
    try {
      const r = await api.queryReport({ ...req, pageSize: PAGE, pageToken: token })
      setMore({ key, rows: [...extra.rows, ...(r.rows ?? [])], token: r.nextPageToken })
    } catch (e) {
      setMoreError(e)
    }
  }
  return (
    <section data-testid="reports">
      <header className="page-head"><h1>{t('nav.reports')}</h1></header>
      <Builder asked={asked} />
      {caps.member !== '' && <p className="note">{t('report.ownDataNote')}</p>}
      {first.error !== undefined && <ErrorBox error={first.error} />}
      {!first.data && first.loading && <Loading />}
      {first.data && (
        <>
          <Freshness dataThrough={first.data.dataThrough} />
          {rows.length === 0 ? <Empty>{t('report.empty')}</Empty> : (
            <>
              <ReportChart req={req} rows={rows} />
              <ReportTable req={req} rows={rows} totals={first.data} />
              {token && <button type="button" onClick={loadMore}>{t('report.more')}</button>}
              {moreError !== undefined && <ErrorBox error={moreError} />}
            </>
          )}
        </>
      )}
    </section>
  )
}

function Builder(props: { asked: QuerySalesReportRequest & { preset: Preset } }) {
  const { t, label } = useI18n()
  const districts = useDistricts()
  const members = useLoad(() => api.allMembers({}), [])
  const byKind = (k: Member['kind']) => (members.data ?? []).filter((m) => m.kind === k)
  const [preset, setPreset] = useState<Preset>(props.asked.preset)
  const [period, setPeriod] = useState<Period>({ start: props.asked.startDate, end: props.asked.endDate })
  const [g, setG] = useState<Granularity>(props.asked.granularity ?? 'GRANULARITY_MONTH')
  const [d1, setD1] = useState<Dimension | ''>(props.asked.groupBy?.[0] ?? '')
  const [d2, setD2] = useState<Dimension | ''>(props.asked.groupBy?.[1] ?? '')
  const [filters, setFilters] = useState<Partial<Record<FilterKey, string>>>(() => {
    const f: Partial<Record<FilterKey, string>> = {}
    for (const k of FILTERS) {
      const v = (props.asked as unknown as Record<string, string | undefined>)[k]
      if (v) f[k] = v
    }
    return f
  })
  const submit = (e: FormEvent) => {
    e.preventDefault()
    const groupBy = [d1, d2].filter((d): d is Dimension => d !== '')
    const r: QuerySalesReportRequest = { startDate: period.start, endDate: period.end, granularity: g, groupBy: [...new Set(groupBy)], ...(filters as ReportFilters) }
    navigate('/reports?' + reportToQuery(r, preset))
  }
  const setF = (k: FilterKey, v: string) => setFilters((f) => ({ ...f, [k]: v || undefined }))
  const memberFilter = (k: FilterKey, kind: Member['kind']) => (
    <Field label={t(('report.filter.' + k) as 'report.filter.host')}>
      {(id) => (
        <select id={id} value={filters[k] ?? ''} onChange={(e) => setF(k, e.target.value)}>
          <option value="">{t('common.all')}</option>
          {byKind(kind).map((m) => <option key={m.name} value={m.name}>{m.displayName}</option>)}
        </select>
      )}
    </Field>
  )
  const districtFilter = (k: FilterKey) => (
    <Field label={t(('report.filter.' + k) as 'report.filter.district')}>
      {(id) => (
        <select id={id} value={filters[k] ?? ''} onChange={(e) => setF(k, e.target.value)}>
          <option value="">{t('common.all')}</option>
          {districts.list.map((d) => <option key={d.code} value={d.code}>{d.displayName}</option>)}
        </select>
      )}
    </Field>
  )
  return (
    <form className="panel builder" onSubmit={submit} data-testid="report-builder">
      <PeriodPicker preset={preset} period={period} onChange={(p, per) => { setPreset(p); setPeriod(per) }} />
      <div className="form-grid">
        <Field label={t('report.granularity')}>
          {(id) => (
            <select id={id} value={g} onChange={(e) => setG(e.target.value as Granularity)}>
              {GRANULARITIES.map((x) => <option key={x} value={x}>{label('granularity', x)}</option>)}
            </select>
          )}
        </Field>
        <Field label={t('report.groupBy1')}>
          {(id) => (
            <select id={id} value={d1} onChange={(e) => { setD1(e.target.value as Dimension | ''); if (!e.target.value) setD2('') }}>
              <option value="">{t('report.noDimension')}</option>
              {DIMENSIONS.map((x) => <option key={x} value={x}>{label('dimension', x)}</option>)}
            </select>
          )}
        </Field>
        <Field label={t('report.groupBy2')}>
          {(id) => (
            <select id={id} value={d2} onChange={(e) => setD2(e.target.value as Dimension | '')} disabled={d1 === ''}>
              <option value="">{t('report.noDimension')}</option>
              {DIMENSIONS.filter((x) => x !== d1).map((x) => <option key={x} value={x}>{label('dimension', x)}</option>)}
            </select>
          )}
        </Field>
      </div>
      <fieldset>
        <legend>{t('report.filters')}</legend>
        <div className="form-grid">
          {districtFilter('district')}
          {districtFilter('originDistrict')}
          {memberFilter('host', 'MEMBER_KIND_HOST')}
          {memberFilter('agency', 'MEMBER_KIND_AGENCY')}
          {memberFilter('base', 'MEMBER_KIND_BASE')}
          {memberFilter('merchant', 'MEMBER_KIND_MERCHANT')}
          <Field label={t('report.filter.category')}>
            {(id) => <input id={id} value={filters.category ?? ''} onChange={(e) => setF('category', e.target.value.trim())} placeholder="tea" />}
          </Field>
          <Field label={t('report.filter.platform')}>
            {(id) => (
              <select id={id} value={filters.platform ?? ''} onChange={(e) => setF('platform', e.target.value as Platform)}>
                <option value="">{t('common.all')}</option>
                {PLATFORMS.map((p) => <option key={p} value={p}>{label('platform', p)}</option>)}
              </select>
            )}
          </Field>
        </div>
      </fieldset>
      <div className="actions"><button type="submit" className="primary" data-testid="run-report">{t('report.run')}</button></div>
    </form>
  )
}

function keyLabel(label: (g: string, v: string | undefined) => string, k: { dimension?: string; key?: string; displayName?: string } | undefined): string {
  if (!k) return ''
  if (k.dimension === 'DIMENSION_PLATFORM') return platformName(label, k.key, k.displayName)
  return k.displayName || k.key || ''
}

function ReportTable(props: { req: QuerySalesReportRequest; rows: ReportRow[]; totals: QuerySalesReportResponse }) {
  const { t, label } = useI18n()
  const dims = props.req.groupBy ?? []
  const showPeriod = props.req.granularity !== 'GRANULARITY_TOTAL'
  const tot = props.totals.totals
  return (
    <div className="table-scroll">
      <table data-testid="report-table">
        <thead>
          <tr>
            {showPeriod && <th>{t('report.period')}</th>}
            {dims.map((d) => <th key={d}>{label('dimension', d)}</th>)}
            <th className="num">{t('metric.sessions')}</th><th className="num">{t('metric.orders')}</th><th className="num">{t('metric.units')}</th>
            <th className="num">{t('metric.gross')}</th><th className="num">{t('metric.refunds')}</th><th className="num">{t('metric.net')}</th>
            <th className="num">{t('metric.aov')}</th>
          </tr>
        </thead>
        <tbody>
          {props.rows.map((r, i) => (
            <tr key={i}>
              {showPeriod && <td>{r.periodStart}</td>}
              {dims.map((d, j) => <td key={d}>{keyLabel(label, r.keys?.[j])}</td>)}
              <td className="num">{formatCount(r.metrics?.sessions)}</td>
              <td className="num">{formatCount(r.metrics?.orders)}</td>
              <td className="num">{formatCount(r.metrics?.units)}</td>
              <td className="num"><Money value={r.metrics?.gross} /></td>
              <td className="num"><Money value={r.metrics?.refunds} /></td>
              <td className="num strong"><Money value={r.metrics?.net} /></td>
              <td className="num"><Money value={r.metrics?.averageOrderValue} /></td>
            </tr>
          ))}
        </tbody>
        {tot && (
          <tfoot>
            <tr data-testid="report-totals" data-net={tot.net?.minorUnits ?? '0'}>
              <th colSpan={(showPeriod ? 1 : 0) + dims.length || 1} scope="row">{t('report.totals')}</th>
              <td className="num">{formatCount(tot.sessions)}</td>
              <td className="num">{formatCount(tot.orders)}</td>
              <td className="num">{formatCount(tot.units)}</td>
              <td className="num"><Money value={tot.gross} /></td>
              <td className="num"><Money value={tot.refunds} /></td>
              <td className="num strong"><Money value={tot.net} /></td>
              <td className="num"><Money value={tot.averageOrderValue} /></td>
            </tr>
          </tfoot>
        )}
      </table>
    </div>
  )
}

/**
 * The chart of a report: net by period (no dimension), by the dimension
 * (TOTAL), or one series per key of the last dimension over the first
 * axis, the largest MAX_SERIES of them.
 */
function ReportChart(props: { req: QuerySalesReportRequest; rows: ReportRow[] }) {
  const { t, lang, label } = useI18n()
  const option = useMemo((): ChartOption => {
    const dims = props.req.groupBy ?? []
    const byPeriod = props.req.granularity !== 'GRANULARITY_TOTAL'
    // x: the period, or the first dimension when there is no period
    const xOf = (r: ReportRow) => (byPeriod ? r.periodStart ?? '' : keyLabel(label, r.keys?.[0]))
    // series: the last dimension that is not on x
    const seriesDim = byPeriod ? dims.length - 1 : dims.length - 1 >= 1 ? 1 : -1
    const seriesOf = (r: ReportRow) => (seriesDim < 0 ? t('metric.net') : (byPeriod && dims.length === 2 ? keyLabel(label, r.keys?.[0]) + ' · ' : '') + keyLabel(label, r.keys?.[seriesDim]))
    const xs = [...new Set(props.rows.map(xOf))]
    const totals = new Map<string, bigint>()
    const cell = new Map<string, Map<string, bigint>>()
    for (const r of props.rows) {
      const s = seriesOf(r)
      const net = BigInt(r.metrics?.net?.minorUnits ?? '0')
      totals.set(s, (totals.get(s) ?? 0n) + net)
      const m = cell.get(s) ?? new Map<string, bigint>()
      m.set(xOf(r), (m.get(xOf(r)) ?? 0n) + net)
      cell.set(s, m)
    }
    const series = [...totals.entries()].sort((a, b) => (b[1] > a[1] ? 1 : b[1] < a[1] ? -1 : 0)).slice(0, MAX_SERIES).map(([s]) => s)
    return {
      tooltip: { trigger: 'axis', valueFormatter: ((v: number) => formatYuan(BigInt(Math.round(v * 100)))) as never },
      legend: series.length > 1 ? { type: 'scroll', top: 0 } : undefined,
      grid: { left: 72, right: 24, top: series.length > 1 ? 40 : 16, bottom: 40 },
      xAxis: { type: 'category', data: xs },
      yAxis: { type: 'value', axisLabel: { formatter: (v: number) => compactYuan(BigInt(Math.round(v * 100)), lang) } },
      series: series.map((s) => ({
        name: s, type: byPeriod && xs.length > 1 ? 'line' : 'bar', stack: byPeriod ? undefined : 'net',
        data: xs.map((x) => yuanNumber((cell.get(s)?.get(x) ?? 0n).toString())),
      })),
    }
  }, [props.rows, props.req.granularity, (props.req.groupBy ?? []).join(','), lang])
  return <Chart option={option} label={t('report.chartLabel')} testId="report-chart" height={320} />
}
