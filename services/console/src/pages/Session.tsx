// One session: what was booked, its lifecycle (start, end, cancel, each
// with the etag it was read at), its summary, its sales page by page and its
// products. While LIVE the figures are fetched again every few seconds.

import { useState } from 'react'
import { baseOfStudio, idOf } from '../api/api'
import { ApiError } from '../api/client'
import { FINAL_STATES, type Product, type Session as SessionT } from '../api/types'
import { useI18n } from '../i18n'
import { useLoad, usePoll, type Loaded } from '../hooks'
import { api, useSignedIn } from '../session'
import { mayApprove, mayRunSession } from '../caps'
import { Empty, ErrorBox, Field, Loading, MemberLink, Money, Section, StateBadge } from '../components/ui'
import { formatCount, formatDateTime } from '../format'
import { LIVE_POLL_MS } from './Schedule'

/** Sales per page on the session page. */
const SALES_PAGE = 20

export function SessionPage(props: { name: string }) {
  const { t } = useI18n()
  const session = useLoad(() => api.getSession(props.name), [props.name])
  const s = session.data
  const live = s?.state === 'SESSION_STATE_LIVE'
  usePoll(session, LIVE_POLL_MS, live)
  const productNames = (s?.products ?? []).join(',')
  const products = useLoad(() => Promise.all((s?.products ?? []).map((n) => api.getProduct(n).catch((): Product => ({ name: n })))), [productNames])
  const productName = new Map((products.data ?? []).map((p) => [p.name ?? '', p.displayName ?? '']))
  if (!s) {
    return (
      <section data-testid="session-page">
        {session.error !== undefined ? <ErrorBox error={session.error} /> : <Loading />}
      </section>
    )
  }
  return (
    <section data-testid="session-page" data-state={s.state} data-etag={s.etag}>
      <header className="page-head">
        <h1>{s.title || idOf(s.name)} <StateBadge group="sessionState" value={s.state} /></h1>
        <small className="resource-name">{s.name} · etag {s.etag}</small>
      </header>
      {session.error !== undefined && <ErrorBox error={session.error} />}
      <Details s={s} onChanged={session.reload} />
      <h2>{t('session.summary')}</h2>
      <Summary name={s.name ?? ''} live={live} />
      <h2>{t('session.sales')}</h2>
      <Sales name={s.name ?? ''} live={live} productName={(n) => productName.get(n ?? '') || idOf(n)} />
      <h2>{t('session.products')}</h2>
      {(s.products ?? []).length === 0 ? <Empty>{t('session.noProducts')}</Empty> : <Products loaded={products} />}
    </section>
  )
}

function Details(props: { s: SessionT; onChanged: () => void }) {
  const { t, label } = useI18n()
  const { caps } = useSignedIn()
  const { s } = props
  const members = useLoad(() => api.batchGetMembers([...new Set([s.host ?? '', baseOfStudio(s.studio), ...(s.merchants ?? [])].filter(Boolean))]), [s.name])
  const byName = new Map((members.data ?? []).map((m) => [m.name ?? '', m]))
  const host = byName.get(s.host ?? '')
  const base = byName.get(baseOfStudio(s.studio))
  const studio = base?.studios?.find((x) => `${base.name}/studios/${x.studioId}` === s.studio)
  const may = mayRunSession(caps, s, host?.agency ?? '')
  return (
    <div className="columns">
      <dl className="details">
        <dt>{t('session.host')}</dt>
        <dd><MemberLink name={s.host} label={host?.displayName} />{host?.official && <span className="badge badge-official">{t('member.official')}</span>}</dd>
        <dt>{t('session.studio')}</dt>
        <dd><MemberLink name={base?.name} label={base?.displayName} /> · {studio?.displayName ?? idOf(s.studio)}</dd>
        <dt>{t('session.platform')}</dt>
        <dd>{label('platform', s.platform)}{s.platformRoomId ? ` · ${s.platformRoomId}` : ''}</dd>
        <dt>{t('session.planned')}</dt>
        <dd>{formatDateTime(s.startTime)} – {formatDateTime(s.endTime)} {t('tz.short')}</dd>
        {s.actualStartTime && (<><dt>{t('session.actual')}</dt>
          <dd>{formatDateTime(s.actualStartTime)} – {s.actualEndTime ? formatDateTime(s.actualEndTime) : t('session.stillLive')} {t('tz.short')}</dd></>)}
        {(s.merchants ?? []).length > 0 && (<><dt>{t('session.merchants')}</dt>
          <dd>{(s.merchants ?? []).map((m, i) => <span key={m}>{i > 0 && '、'}<MemberLink name={m} label={byName.get(m)?.displayName} /></span>)}</dd></>)}
        {s.cancelReason && (<><dt>{t('session.cancelReason')}</dt><dd>{s.cancelReason}</dd></>)}
        {s.declineReason && (<><dt>{t('session.declineReason')}</dt><dd data-testid="decline-reason">{s.declineReason}</dd></>)}
        {s.series && (<><dt>{t('session.series')}</dt><dd><code>{s.series}</code></dd></>)}
      </dl>
      {may && <Lifecycle s={s} approver={mayApprove(caps, s)} onChanged={props.onChanged} />}
    </div>
  )
}

function Lifecycle(props: { s: SessionT; approver: boolean; onChanged: () => void }) {
  const { t } = useI18n()
  const { s } = props
  const [reason, setReason] = useState('')
  const [error, setError] = useState<unknown>()
  const [busy, setBusy] = useState(false)
  const run = async (f: () => Promise<unknown>) => {
    setError(undefined)
    setBusy(true)
    try {
      await f()
    } catch (e) {
      setError(e)
    } finally {
      setBusy(false)
      // On success the new state and etag show; after ETAG_MISMATCH, the current ones.
      props.onChanged()
    }
  }
  const name = s.name ?? ''
  return (
    <div className="panel lifecycle" data-testid="lifecycle">
      <h2>{t('session.lifecycle')}</h2>
      {s.state === 'SESSION_STATE_SCHEDULED' && (
        <>
          <p className="note">{t('session.startRule')}</p>
          <button type="button" className="primary" disabled={busy} onClick={() => run(() => api.startSession(name, s.etag))} data-testid="start">{t('session.start')}</button>
          <form onSubmit={(e) => { e.preventDefault(); void run(() => api.cancelSession(name, reason, s.etag)) }}>
            <Field label={t('session.cancelReasonLabel')}>
              {(id) => <input id={id} value={reason} onChange={(e) => setReason(e.target.value)} maxLength={500} />}
            </Field>
            <button type="submit" disabled={busy} data-testid="cancel">{t('session.cancel')}</button>
          </form>
        </>
      )}
      {s.state === 'SESSION_STATE_PENDING_APPROVAL' && (
        <>
          <p className="note">{t('session.pendingRule')}</p>
          {props.approver && (
            <button type="button" className="primary" disabled={busy} onClick={() => run(() => api.approveSession(name, s.etag))} data-testid="approve">{t('session.approve')}</button>
          )}
          <form onSubmit={(e) => { e.preventDefault(); void run(() => props.approver ? api.declineSession(name, reason, s.etag) : api.cancelSession(name, reason, s.etag)) }}>
            <Field label={props.approver ? t('session.declineReasonLabel') : t('session.cancelReasonLabel')}>
              {(id) => <input id={id} value={reason} onChange={(e) => setReason(e.target.value)} maxLength={500} />}
            </Field>
            <button type="submit" disabled={busy} data-testid={props.approver ? 'decline' : 'withdraw'}>{props.approver ? t('session.decline') : t('session.withdraw')}</button>
          </form>
        </>
      )}
      {s.state === 'SESSION_STATE_LIVE' && (
        <button type="button" className="primary" disabled={busy} onClick={() => run(() => api.endSession(name, s.etag))} data-testid="end">{t('session.end')}</button>
      )}
      {s.state !== undefined && FINAL_STATES.includes(s.state) && <p>{t('session.final')}</p>}
      {error !== undefined && <ErrorBox error={error} />}
      {error instanceof ApiError && error.reason === 'ETAG_MISMATCH' && <p className="note">{t('session.etagReloaded')}</p>}
    </div>
  )
}

function Summary(props: { name: string; live: boolean }) {
  const { t } = useI18n()
  const sum = useLoad(() => api.getSessionSummary(props.name), [props.name])
  usePoll(sum, LIVE_POLL_MS, props.live)
  return (
    <Section loaded={sum}>
      {(m) => (
        <>
          <div className="cards" data-testid="summary">
            <div className="card card-big" data-testid="summary-net" data-value={m.net?.minorUnits ?? '0'}>
              <div className="card-label">{t('metric.net')}</div><div className="card-value"><Money value={m.net} /></div>
            </div>
            <div className="card"><div className="card-label">{t('metric.gross')}</div><div className="card-value"><Money value={m.gross} /></div></div>
            <div className="card"><div className="card-label">{t('metric.refunds')}</div><div className="card-value"><Money value={m.refunds} /> <small>({formatCount(m.refundCount)})</small></div></div>
            <div className="card" data-testid="summary-orders" data-value={m.orders ?? '0'}><div className="card-label">{t('metric.orders')}</div><div className="card-value">{formatCount(m.orders)}</div></div>
            <div className="card"><div className="card-label">{t('metric.units')}</div><div className="card-value">{formatCount(m.units)}</div></div>
          </div>
          {m.firstEventTime && <p className="note">{t('session.events', { first: formatDateTime(m.firstEventTime), last: formatDateTime(m.lastEventTime) })} {t('tz.short')}</p>}
          {props.live && <p className="note live-note">{t('session.polling', { s: LIVE_POLL_MS / 1000 })}</p>}
        </>
      )}
    </Section>
  )
}

function Sales(props: { name: string; live: boolean; productName: (name: string | undefined) => string }) {
  const { t, label } = useI18n()
  // tokens[i] is the token of page i; page 0 has none.
  const [tokens, setTokens] = useState<string[]>([''])
  const pageNo = tokens.length - 1
  const page = useLoad(() => api.listSales(props.name, { pageSize: SALES_PAGE, pageToken: tokens[pageNo] || undefined }), [props.name, tokens.join('|')])
  usePoll(page, LIVE_POLL_MS, props.live)
  return (
    <Section loaded={page}>
      {(p) => p.items.length === 0 && pageNo === 0 ? <Empty>{t('session.noSales')}</Empty> : (
        <>
          <table data-testid="sales">
            <thead>
              <tr>
                <th>{t('sale.time')}</th><th>{t('sale.kind')}</th><th>{t('sale.product')}</th>
                <th className="num">{t('sale.quantity')}</th><th className="num">{t('sale.amount')}</th><th>{t('sale.externalId')}</th>
              </tr>
            </thead>
            <tbody>
              {p.items.map((s) => (
                <tr key={s.name} className={s.kind === 'SALE_KIND_REFUND' ? 'refund' : ''}>
                  <td>{formatDateTime(s.eventTime)}</td>
                  <td>{label('saleKind', s.kind)}</td>
                  <td>{props.productName(s.product)}</td>
                  <td className="num">{formatCount(s.quantity)}</td>
                  <td className="num"><Money value={s.kind === 'SALE_KIND_REFUND' ? '-' + (s.amount?.minorUnits ?? '0') : s.amount} /></td>
                  <td><code>{s.externalId}</code>{s.refundOf ? ` ← ${s.refundOf}` : ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <div className="pager">
            <button type="button" disabled={pageNo === 0} onClick={() => setTokens(tokens.slice(0, -1))}>← {t('common.prev')}</button>
            <span>{t('common.page', { n: pageNo + 1 })}</span>
            <button type="button" disabled={!p.nextPageToken} onClick={() => setTokens([...tokens, p.nextPageToken ?? ''])}>{t('common.next')} →</button>
          </div>
        </>
      )}
    </Section>
  )
}

function Products(props: { loaded: Loaded<Product[]> }) {
  const { t } = useI18n()
  return (
    <Section loaded={props.loaded}>
      {(ps) => (
        <table className="compact">
          <thead><tr><th>{t('product.name')}</th><th>{t('product.merchant')}</th><th>{t('product.category')}</th><th className="num">{t('product.price')}</th></tr></thead>
          <tbody>
            {ps.map((p) => (
              <tr key={p.name}>
                <td>{p.displayName ?? idOf(p.name)}</td>
                <td><MemberLink name={p.name?.slice(0, p.name.indexOf('/products/'))} /></td>
                <td>{p.category}</td>
                <td className="num"><Money value={p.listPrice} /></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Section>
  )
}
