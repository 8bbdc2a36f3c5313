// The landing page: the alliance's headline for a period (this year by
// default), by month, by district and by platform. With ?screen=1 it is the
// wall-screen version, which refreshes itself.

import { useEffect, useMemo, useState } from 'react'
import type { AllianceOverview, QuerySalesReportResponse } from '../api/types'
import { useI18n } from '../i18n'
import { useInterval, useLoad } from '../hooks'
import { api, useSignedIn } from '../session'
import { setQuery, useLocation, Link } from '../router'
import { Chart, type ChartOption } from '../components/Chart'
import { Empty, ErrorBox, Freshness, Loading, Money, PeriodPicker, UsdNote, periodFromQuery, platformName, type Period } from '../components/ui'
import { compactYuan, escapeHTML, formatCount, formatYuan, shanghaiParts, yuanNumber } from '../format'

/** How often the big screen refreshes itself. */
export const SCREEN_REFRESH_MS = 30_000

interface Data {
  overview: AllianceOverview
  byMonth: QuerySalesReportResponse
  byDistrict: QuerySalesReportResponse
  byPlatform: QuerySalesReportResponse
}

async function load(p: Period): Promise<Data> {
  const base = { startDate: p.start, endDate: p.end, pageSize: 1000 }
  const [overview, byMonth, byDistrict, byPlatform] = await Promise.all([
    api.overview(p.start, p.end),
    api.queryReport({ ...base, granularity: 'GRANULARITY_MONTH' }),
    api.queryReport({ ...base, granularity: 'GRANULARITY_TOTAL', groupBy: ['DIMENSION_DISTRICT'] }),
    api.queryReport({ ...base, granularity: 'GRANULARITY_TOTAL', groupBy: ['DIMENSION_PLATFORM'] }),
  ])
  return { overview, byMonth, byDistrict, byPlatform }
}

let markedThisLoad = false
let chartMarked = false

/** The first chart has finished drawing (its animation included): marked once per page load. */
function markChart() {
  if (!chartMarked) {
    chartMarked = true
    performance.mark('console:overview-chart')
  }
}

export function Overview() {
  const { t, lang, label } = useI18n()
  const { caps } = useSignedIn()
  const loc = useLocation()
  const { preset, period } = periodFromQuery(loc.query)
  const screen = loc.query.get('screen') === '1'
  const data = useLoad(() => load(period), [period.start, period.end])
  const [refreshed, setRefreshed] = useState<Date>(new Date())
  useInterval(() => {
    data.reload()
    setRefreshed(new Date())
  }, SCREEN_REFRESH_MS, screen)

  // The figures are drawn: mark it once per page load, for the browser
  // test's Performance API reading.
  const ov = data.data?.overview
  useEffect(() => {
    if (ov && !markedThisLoad) {
      markedThisLoad = true
      // after the frame that paints them
      requestAnimationFrame(() => performance.mark('console:overview-figures'))
    }
  }, [ov])

  const charts = useMemo(() => (data.data ? chartOptions(data.data, lang, label, t, screen) : undefined), [data.data, lang, screen])

  return (
    <section className={screen ? 'overview bigscreen' : 'overview'} data-testid="overview" data-ready={ov ? 'true' : 'false'}
      data-start={period.start} data-end={period.end}>
      <header className="page-head">
        <h1>{screen ? t('overview.screenTitle') : t('overview.title')}</h1>
        {screen ? (
          <div className="screen-bar">
            <Clock />
            <span>{t('overview.autoRefresh', { s: SCREEN_REFRESH_MS / 1000, time: shanghaiParts(refreshed).time + ':' + shanghaiParts(refreshed).seconds })}</span>
            <Link to={'/?' + withoutScreen(loc.query)}>{t('overview.leaveScreen')}</Link>
          </div>
        ) : (
          <Link className="button" to={'/?' + withScreen(loc.query)}>{t('overview.enterScreen')}</Link>
        )}
      </header>
      {!screen && (
        <PeriodPicker preset={preset} period={period} onChange={(p, per) =>
          setQuery(p === 'custom' ? { period: undefined, from: per.start, to: per.end } : { period: p === 'year' ? undefined : p, from: undefined, to: undefined })} />
      )}
      {screen && <p className="screen-period">{period.start} – {addDaysLabel(period.end)}</p>}
      {data.error !== undefined && <ErrorBox error={data.error} />}
      {!ov && data.loading && <Loading />}
      {ov && (
        <>
          <div className="cards" data-testid="headline">
            <Card label={t('overview.net')} testId="ov-net" value={ov.net?.minorUnits ?? '0'} big>
              <Money value={ov.net} usd />
            </Card>
            <Card label={t('overview.gross')} testId="ov-gross" value={ov.gross?.minorUnits ?? '0'} wide>
              <Money value={ov.gross} usd />
            </Card>
            <Card label={t('overview.refunds')} testId="ov-refunds" value={ov.refunds?.minorUnits ?? '0'} wide>
              <Money value={ov.refunds} />
            </Card>
            <Card label={t('overview.sessionsHeld')} testId="ov-sessionsHeld" value={ov.sessionsHeld ?? '0'}>{formatCount(ov.sessionsHeld)}</Card>
            <Card label={t('overview.sessionsWithSales')} testId="ov-sessionsWithSales" value={ov.sessionsWithSales ?? '0'}>{formatCount(ov.sessionsWithSales)}</Card>
            <Card label={t('overview.orders')} testId="ov-orders" value={ov.orders ?? '0'}>{formatCount(ov.orders)}</Card>
            <Card label={t('overview.activeHosts')} testId="ov-activeHosts" value={ov.activeHosts ?? '0'}>{formatCount(ov.activeHosts)}</Card>
            <Card label={t('overview.activeBases')} testId="ov-activeBases" value={ov.activeBases ?? '0'}>{formatCount(ov.activeBases)}</Card>
            <Card label={t('overview.activeAgencies')} testId="ov-activeAgencies" value={ov.activeAgencies ?? '0'}>{formatCount(ov.activeAgencies)}</Card>
            {/* Absent without traffic figures: a dash, never a 0 that looks measured. */}
            <Card label={t('overview.gpm')} testId="ov-gpm" value={ov.totals?.gpm?.minorUnits ?? ''}>
              {ov.totals?.gpm ? <Money value={ov.totals.gpm} /> : '—'}
            </Card>
            <Card label={t('overview.conversion')} testId="ov-conversion" value={ov.totals?.conversionRate !== undefined ? String(ov.totals.conversionRate) : ''}>
              {ov.totals?.conversionRate !== undefined ? (ov.totals.conversionRate * 100).toFixed(2) + '%' : '—'}
            </Card>
          </div>
          <Freshness dataThrough={ov.dataThrough} />
          {!screen && <UsdNote />}
          {caps.member !== '' && <p className="note">{t('overview.ownDataNote')}</p>}
          {charts && (
            <div className="chart-grid">
              <figure>
                <figcaption>{t('overview.byMonth')}</figcaption>
                {charts.months ? <Chart option={charts.months} label={t('overview.byMonth')} testId="chart-month" dark={screen}
                  onDrawn={markChart} height={screen ? 500 : 280} /> : <Empty>{t('report.empty')}</Empty>}
              </figure>
              <figure>
                <figcaption>{t('overview.byDistrict')}</figcaption>
                {charts.districts ? <Chart option={charts.districts} label={t('overview.byDistrict')} testId="chart-district" dark={screen}
                  height={screen ? 500 : Math.max(240, 26 * charts.districtCount + 40)} /> : <Empty>{t('report.empty')}</Empty>}
              </figure>
              <figure>
                <figcaption>{t('overview.byPlatform')}</figcaption>
                {charts.platforms ? <Chart option={charts.platforms} label={t('overview.byPlatform')} testId="chart-platform" dark={screen} height={screen ? 500 : 280} /> : <Empty>{t('report.empty')}</Empty>}
                {!screen && <PlatformTable data={data.data!.byPlatform} />}
              </figure>
              {!screen && <figure>
                <figcaption>{t('overview.topDistricts')}</figcaption>
                {(ov.topDistricts ?? []).length === 0 ? <Empty>{t('report.empty')}</Empty> : (
                  <ol className="top5">
                    {(ov.topDistricts ?? []).map((d) => (
                      <li key={d.key}>
                        <span>{d.displayName || d.key}</span> <Money value={d.value} />
                      </li>
                    ))}
                  </ol>
                )}
              </figure>}
            </div>
          )}
        </>
      )}
    </section>
  )
}

function addDaysLabel(end: string): string {
  // the period is [start, end): people read the last day
  const d = new Date(end + 'T00:00:00Z')
  d.setUTCDate(d.getUTCDate() - 1)
  return d.toISOString().slice(0, 10)
}

function withScreen(q: URLSearchParams): string {
  const c = new URLSearchParams(q)
  c.set('screen', '1')
  return c.toString()
}

function withoutScreen(q: URLSearchParams): string {
  const c = new URLSearchParams(q)
  c.delete('screen')
  return c.toString()
}

/** A headline figure; money cards are wide, so ten-digit yuan amounts fit. */
function Card(props: { label: string; value: string; testId: string; children: React.ReactNode; big?: boolean; wide?: boolean }) {
  return (
    <div className={'card' + (props.big ? ' card-big' : '') + (props.wide ? ' card-wide' : '')} data-testid={props.testId} data-value={props.value}>
      <div className="card-label">{props.label}</div>
      <div className="card-value">{props.children}</div>
    </div>
  )
}

function Clock() {
  const { t } = useI18n()
  const [now, setNow] = useState(new Date())
  useInterval(() => setNow(new Date()), 1000, true)
  const p = shanghaiParts(now)
  return <span className="clock">{p.date} {p.time}:{p.seconds} {t('tz.short')}</span>
}

function PlatformTable(props: { data: QuerySalesReportResponse }) {
  const { t, label } = useI18n()
  const rows = props.data.rows ?? []
  if (rows.length === 0) return null
  return (
    <table className="compact">
      <thead>
        <tr><th>{t('report.platform')}</th><th className="num">{t('metric.orders')}</th><th className="num">{t('metric.net')}</th></tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.keys?.[0]?.key}>
            <td>{platformName(label, r.keys?.[0]?.key, r.keys?.[0]?.displayName)}</td>
            <td className="num">{formatCount(r.metrics?.orders)}</td>
            <td className="num"><Money value={r.metrics?.net} /></td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

function chartOptions(d: Data, lang: string, label: (g: string, v: string | undefined) => string, t: (k: 'metric.net' | 'metric.orders') => string, screen: boolean) {
  const text = screen ? '#e8eef7' : '#333'
  const months = d.byMonth.rows ?? []
  const districts = [...(d.byDistrict.rows ?? [])].sort((a, b) => yuanNumber(a.metrics?.net) - yuanNumber(b.metrics?.net))
  const platforms = d.byPlatform.rows ?? []
  const money = (v: unknown) => compactYuan(BigInt(Math.round(Number(v) * 100)), lang)
  const fenTooltip = (fen: string[]) => (p: unknown) => {
    const arr = (Array.isArray(p) ? p : [p]) as { dataIndex: number; name: string; seriesName: string; value: number }[]
    const first = arr[0]
    if (!first) return ''
    return `${escapeHTML(first.name)}<br/>${arr.map((x) => `${escapeHTML(x.seriesName)}: ${x.seriesName === t('metric.net') ? formatYuan(fen[x.dataIndex]) : formatCount(x.value)}`).join('<br/>')}`
  }
  // A short entry animation: the charts are complete soon after the figures.
  const bg = { backgroundColor: 'transparent', animationDuration: 300 }
  const monthOpt: ChartOption | undefined = months.length === 0 ? undefined : {
    ...bg,
    textStyle: { color: text },
    tooltip: { trigger: 'axis', formatter: fenTooltip(months.map((r) => r.metrics?.net?.minorUnits ?? '0')) as never },
    legend: { top: 0, data: [t('metric.net'), t('metric.orders')], textStyle: { color: text } },
    grid: { left: 64, right: 56, top: 36, bottom: 32 },
    xAxis: { type: 'category', data: months.map((r) => (r.periodStart ?? '').slice(0, 7)), axisLabel: { color: text } },
    yAxis: [
      { type: 'value', axisLabel: { formatter: money, color: text } },
      { type: 'value', axisLabel: { color: text }, splitLine: { show: false } },
    ],
    series: [
      { name: t('metric.net'), type: 'bar', data: months.map((r) => yuanNumber(r.metrics?.net)), itemStyle: { color: '#c23531' } },
      { name: t('metric.orders'), type: 'line', yAxisIndex: 1, data: months.map((r) => Number(r.metrics?.orders ?? 0)), itemStyle: { color: '#2f4554' } },
    ],
  }
  const districtOpt: ChartOption | undefined = districts.length === 0 ? undefined : {
    ...bg,
    textStyle: { color: text },
    tooltip: { trigger: 'axis', formatter: fenTooltip(districts.map((r) => r.metrics?.net?.minorUnits ?? '0')) as never },
    grid: { left: 96, right: 24, top: 8, bottom: 28 },
    xAxis: { type: 'value', axisLabel: { formatter: money, color: text } },
    yAxis: { type: 'category', data: districts.map((r) => r.keys?.[0]?.displayName || r.keys?.[0]?.key || ''), axisLabel: { color: text } },
    series: [{ name: t('metric.net'), type: 'bar', data: districts.map((r) => yuanNumber(r.metrics?.net)), itemStyle: { color: '#d48265' } }],
  }
  const platformOpt: ChartOption | undefined = platforms.length === 0 ? undefined : {
    ...bg,
    textStyle: { color: text },
    tooltip: { trigger: 'item', formatter: ((p: { dataIndex: number; name: string; percent: number }) =>
      `${escapeHTML(p.name)}: ${formatYuan(platforms[p.dataIndex]?.metrics?.net)} (${p.percent}%)`) as never },
    legend: { bottom: 0, textStyle: { color: text } },
    series: [{
      name: t('metric.net'), type: 'pie', radius: ['35%', '65%'], center: ['50%', '45%'],
      label: { color: text },
      data: platforms.map((r) => ({ name: platformName(label, r.keys?.[0]?.key, r.keys?.[0]?.displayName), value: yuanNumber(r.metrics?.net) })),
    }],
  }
  return { months: monthOpt, districts: districtOpt, districtCount: districts.length, platforms: platformOpt }
}

