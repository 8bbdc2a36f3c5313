// Leaderboards: the top hosts, bases, agencies, districts, merchants and
// categories of a period, by net, gross, orders or units; officials marked.

import { useEffect } from 'react'
import type { Dimension, Metric, TopPerformer } from '../api/types'
import { useI18n } from '../i18n'
import { useLoad } from '../hooks'
import { api, useSignedIn } from '../session'
import { setQuery, useLocation, Link } from '../router'
import { Empty, Freshness, Money, PeriodPicker, Section, periodFromQuery } from '../components/ui'
import { formatCount } from '../format'

const BOARDS: { id: string; dim: Dimension }[] = [
  { id: 'hosts', dim: 'DIMENSION_HOST' },
  { id: 'bases', dim: 'DIMENSION_BASE' },
  { id: 'agencies', dim: 'DIMENSION_AGENCY' },
  { id: 'districts', dim: 'DIMENSION_DISTRICT' },
  { id: 'merchants', dim: 'DIMENSION_MERCHANT' },
  { id: 'categories', dim: 'DIMENSION_CATEGORY' },
]
const METRIC_IDS: { id: string; metric: Metric }[] = [
  { id: 'net', metric: 'METRIC_NET' },
  { id: 'gross', metric: 'METRIC_GROSS' },
  { id: 'orders', metric: 'METRIC_ORDERS' },
  { id: 'units', metric: 'METRIC_UNITS' },
]
/** How many entries a board shows. */
const LIMIT = 20

let markedThisLoad = false

export function Leaderboards() {
  const { t, label } = useI18n()
  const { caps } = useSignedIn()
  const loc = useLocation()
  const { preset, period } = periodFromQuery(loc.query)
  const board = BOARDS.find((b) => b.id === loc.query.get('board')) ?? BOARDS[0]!
  const metric = METRIC_IDS.find((m) => m.id === loc.query.get('metric')) ?? METRIC_IDS[0]!

  const data = useLoad(async () => {
    const top = await api.topPerformers({ dimension: board.dim, metric: metric.metric, startDate: period.start, endDate: period.end, limit: LIMIT })
    // The board carries display names; whether a host is an official is on the member.
    let officials = new Set<string>()
    if (board.dim === 'DIMENSION_HOST') {
      const names = (top.entries ?? []).map((e) => e.key ?? '').filter((k) => k.startsWith('members/'))
      const ms = await api.batchGetMembers(names).catch(() => [])
      officials = new Set(ms.filter((m) => m.official).map((m) => m.name ?? ''))
    }
    return { top, officials }
  }, [board.dim, metric.metric, period.start, period.end])

  useEffect(() => {
    if (data.data && !markedThisLoad) {
      markedThisLoad = true
      requestAnimationFrame(() => performance.mark('console:leaderboard-figures'))
    }
  }, [data.data])

  const money = metric.metric === 'METRIC_NET' || metric.metric === 'METRIC_GROSS'
  return (
    <section data-testid="leaderboards" data-ready={data.data && !data.loading ? 'true' : 'false'}>
      <header className="page-head"><h1>{t('nav.leaderboards')}</h1></header>
      <div className="tabs" role="tablist" aria-label={t('board.which')}>
        {BOARDS.map((b) => (
          <button key={b.id} type="button" role="tab" aria-selected={b.id === board.id} className={b.id === board.id ? 'tab active' : 'tab'}
            onClick={() => setQuery({ board: b.id === 'hosts' ? undefined : b.id })}>
            {t(('board.' + b.id) as 'board.hosts')}
          </button>
        ))}
      </div>
      <div className="toolbar">
        <PeriodPicker preset={preset} period={period} onChange={(p, per) =>
          setQuery(p === 'custom' ? { period: undefined, from: per.start, to: per.end } : { period: p === 'year' ? undefined : p, from: undefined, to: undefined })} />
        <fieldset>
          <legend>{t('board.rankBy')}</legend>
          {METRIC_IDS.map((m) => (
            <label key={m.id} className="radio">
              <input type="radio" name="metric" value={m.id} checked={m.id === metric.id} onChange={() => setQuery({ metric: m.id === 'net' ? undefined : m.id })} />
              {label('metric', m.metric)}
            </label>
          ))}
        </fieldset>
      </div>
      {caps.member !== '' && <p className="note">{t('report.ownDataNote')}</p>}
      <Section loaded={data}>
        {(d) => (
          <>
            <Freshness dataThrough={d.top.dataThrough} />
            {(d.top.entries ?? []).length === 0 ? <Empty>{t('board.empty')}</Empty> : (
              <table data-testid="board">
                <thead>
                  <tr>
                    <th className="num">{t('board.rank')}</th>
                    <th>{t(('board.' + board.id) as 'board.hosts')}</th>
                    <th className="num">{label('metric', metric.metric)}</th>
                    <th className="num">{t('metric.sessions')}</th>
                    <th className="num">{t('metric.orders')}</th>
                    <th className="num">{t('metric.units')}</th>
                    <th className="num">{t('metric.gross')}</th>
                    <th className="num">{t('metric.net')}</th>
                  </tr>
                </thead>
                <tbody>
                  {(d.top.entries ?? []).map((e) => (
                    <Row key={e.key} e={e} money={money} official={d.officials.has(e.key ?? '')} />
                  ))}
                </tbody>
              </table>
            )}
          </>
        )}
      </Section>
    </section>
  )
}

function Row(props: { e: TopPerformer; money: boolean; official: boolean }) {
  const { t } = useI18n()
  const { e } = props
  const name = e.displayName || e.key || ''
  return (
    <tr data-key={e.key}>
      <td className="num">{e.rank}</td>
      <td>
        {e.key?.startsWith('members/') ? <Link to={'/' + e.key}>{name}</Link> : name}
        {props.official && <span className="badge badge-official" title={t('member.officialHint')}>{t('member.official')}</span>}
      </td>
      <td className="num strong">{props.money ? <Money value={e.value} /> : formatCount(e.value)}</td>
      <td className="num">{formatCount(e.metrics?.sessions)}</td>
      <td className="num">{formatCount(e.metrics?.orders)}</td>
      <td className="num">{formatCount(e.metrics?.units)}</td>
      <td className="num"><Money value={e.metrics?.gross} /></td>
      <td className="num"><Money value={e.metrics?.net} /></td>
    </tr>
  )
}
