// A member's page: its profile, its products (a merchant), its sessions,
// and, for admins and the member itself, its API keys. Admins also edit,
// suspend and reinstate here, and issue keys (each shown once).

import { useState, type FormEvent } from 'react'
import { idOf } from '../api/api'
import type { ApiKey, Member, Product, Session } from '../api/types'
import { useI18n } from '../i18n'
import { useLoad } from '../hooks'
import { api, useSignedIn } from '../session'
import { mayAdminister, mayEditMember, mayEditProducts, mayManageKeys } from '../caps'
import { Empty, ErrorBox, Field, Loading, MemberLink, Money, Section, SessionLink, StateBadge } from '../components/ui'
import { addDays, formatDateTime, formatYuan, fromShanghai, shanghaiToday } from '../format'
import { useDistricts } from '../directory'
import { MemberForm } from './Members'

export function MemberPage(props: { name: string }) {
  const { t, label } = useI18n()
  const { caps } = useSignedIn()
  const districts = useDistricts()
  const member = useLoad(() => api.getMember(props.name), [props.name])
  const [editing, setEditing] = useState(false)
  const m = member.data
  if (!m) return <section data-testid="member-page">{member.error !== undefined ? <ErrorBox error={member.error} /> : <Loading />}</section>
  const self = caps.member === m.name
  const agency = m.agency ? <MemberLink name={m.agency} /> : null
  return (
    <section data-testid="member-page" data-member={m.name} data-state={m.state}>
      <header className="page-head">
        <h1>
          {m.displayName} <StateBadge group="memberState" value={m.state} />
          {m.official && <span className="badge badge-official">{t('member.official')}</span>}
        </h1>
        <small className="resource-name">{m.name} · etag {m.etag}</small>
      </header>
      {member.error !== undefined && <ErrorBox error={member.error} />}
      <div className="columns">
        <dl className="details">
          <dt>{t('member.kind')}</dt><dd>{label('kind', m.kind)}</dd>
          <dt>{t('member.district')}</dt><dd>{districts.name(m.district)}</dd>
          {agency && (<><dt>{t('member.agency')}</dt><dd>{agency}</dd></>)}
          {m.stateReason && (<><dt>{t('member.stateReason')}</dt><dd>{m.stateReason}</dd></>)}
          {(m.studios ?? []).length > 0 && (<><dt>{t('member.studios')}</dt>
            <dd>{(m.studios ?? []).map((s) => <div key={s.studioId}>{s.displayName} <code>{s.studioId}</code></div>)}</dd></>)}
          {m.contact && (m.contact.person || m.contact.phone || m.contact.email) && (
            <>
              <dt>{t('member.contact')}</dt>
              <dd data-testid="contact">
                {[m.contact.person, m.contact.phone, m.contact.email].filter(Boolean).join(' · ')}
                <br /><small>{t('contact.visibility')}</small>
              </dd>
            </>
          )}
          <dt>{t('member.since')}</dt><dd>{formatDateTime(m.createTime)} {t('tz.short')}</dd>
        </dl>
        {(mayEditMember(caps, m.name ?? '') || mayAdminister(caps)) && (
          <div className="panel" data-testid="member-actions">
            <h2>{t('member.actions')}</h2>
            {mayEditMember(caps, m.name ?? '') && m.state !== 'MEMBER_STATE_WITHDRAWN' && (
              <button type="button" onClick={() => setEditing(!editing)} aria-expanded={editing} data-testid="edit-member">{t('member.edit')}</button>
            )}
            {mayAdminister(caps) && <StateActions m={m} onChanged={member.reload} />}
          </div>
        )}
      </div>
      {editing && <MemberForm member={m} self={self && !caps.admin} onDone={() => { setEditing(false); member.reload() }} onCancel={() => setEditing(false)} />}
      {m.kind === 'MEMBER_KIND_MERCHANT' && <Products merchant={m} />}
      {m.kind === 'MEMBER_KIND_AGENCY' && <AgencyHosts agency={m.name ?? ''} />}
      <Sessions m={m} />
      {mayManageKeys(caps, m.name ?? '') && <Keys member={m.name ?? ''} />}
    </section>
  )
}

function StateActions(props: { m: Member; onChanged: () => void }) {
  const { t } = useI18n()
  const { m } = props
  const [reason, setReason] = useState('')
  const [error, setError] = useState<unknown>()
  const run = async (f: () => Promise<unknown>) => {
    setError(undefined)
    try {
      await f()
      props.onChanged()
    } catch (e) {
      setError(e)
    }
  }
  return (
    <div data-admin="state">
      {m.state === 'MEMBER_STATE_ACTIVE' && (
        <form onSubmit={(e) => { e.preventDefault(); void run(() => api.suspendMember(m.name ?? '', reason, m.etag)) }}>
          <Field label={t('member.suspendReason')}>
            {(id) => <input id={id} value={reason} onChange={(e) => setReason(e.target.value)} required maxLength={500} name="reason" />}
          </Field>
          <button type="submit" data-testid="suspend">{t('member.suspend')}</button>
        </form>
      )}
      {m.state === 'MEMBER_STATE_SUSPENDED' && (
        <button type="button" onClick={() => run(() => api.reinstateMember(m.name ?? '', m.etag))} data-testid="reinstate">{t('member.reinstate')}</button>
      )}
      {error !== undefined && <ErrorBox error={error} />}
    </div>
  )
}

function Products(props: { merchant: Member }) {
  const { t } = useI18n()
  const { caps } = useSignedIn()
  const districts = useDistricts()
  const list = useLoad(() => api.listProducts(props.merchant.name ?? '', { pageSize: 1000 }), [props.merchant.name])
  const [adding, setAdding] = useState(false)
  const [editing, setEditing] = useState<Product | undefined>()
  const may = mayEditProducts(caps, props.merchant)
  return (
    <>
      <h2>{t('member.products')}</h2>
      {may && <button type="button" onClick={() => { setEditing(undefined); setAdding(!adding) }} aria-expanded={adding} data-testid="new-product">{t('product.new')}</button>}
      {(adding || editing) && <ProductForm merchant={props.merchant.name ?? ''} product={editing} key={editing?.name ?? 'new'}
        onDone={() => { setAdding(false); setEditing(undefined); list.reload() }} onCancel={() => { setAdding(false); setEditing(undefined) }} />}
      <Section loaded={list}>
        {(p) => p.items.length === 0 ? <Empty>{t('product.none')}</Empty> : (
          <table data-testid="products">
            <thead><tr><th>{t('product.name')}</th><th>{t('product.category')}</th><th>{t('product.origin')}</th><th className="num">{t('product.price')}</th><th>{t('member.state')}</th>{may && <th />}</tr></thead>
            <tbody>
              {p.items.map((x) => (
                <tr key={x.name}>
                  <td>{x.displayName} <code>{idOf(x.name)}</code></td>
                  <td>{x.category}</td>
                  <td>{districts.name(x.originDistrict)}</td>
                  <td className="num"><Money value={x.listPrice} /></td>
                  <td><StateBadge group="productState" value={x.state} /></td>
                  {may && <td><button type="button" onClick={() => { setAdding(false); setEditing(x) }}>{t('common.edit')}</button></td>}
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Section>
    </>
  )
}

/** "128.00" -> 12800n fen; "" or a malformed price -> undefined. */
export function parseYuan(text: string): bigint | undefined {
  const m = /^\s*(\d{1,15})(?:\.(\d{1,2}))?\s*$/.exec(text.replace(/,/g, ''))
  if (!m) return undefined
  return BigInt(m[1]!) * 100n + BigInt((m[2] ?? '').padEnd(2, '0'))
}

function ProductForm(props: { merchant: string; product?: Product; onDone: () => void; onCancel: () => void }) {
  const { t } = useI18n()
  const districts = useDistricts()
  const p0 = props.product ?? {}
  const [id, setId] = useState('')
  const [displayName, setDisplayName] = useState(p0.displayName ?? '')
  const [category, setCategory] = useState(p0.category ?? '')
  const [origin, setOrigin] = useState(p0.originDistrict ?? '')
  const [price, setPrice] = useState(p0.listPrice ? formatYuan(p0.listPrice, { symbol: false }).replace(/,/g, '') : '')
  const [discontinued, setDiscontinued] = useState(p0.state === 'PRODUCT_STATE_DISCONTINUED')
  const [error, setError] = useState<unknown>()
  const [requestId] = useState(() => globalThis.crypto?.randomUUID?.() ?? String(Date.now()))
  const fen = parseYuan(price)
  const submit = async (e: FormEvent) => {
    e.preventDefault()
    setError(undefined)
    const body: Product = {
      displayName, category, originDistrict: origin,
      listPrice: { currencyCode: 'CNY', minorUnits: (fen ?? 0n).toString() },
    }
    try {
      if (props.product) {
        await api.updateProduct(p0.name ?? '', { ...body, state: discontinued ? 'PRODUCT_STATE_DISCONTINUED' : 'PRODUCT_STATE_ACTIVE', etag: p0.etag })
      } else {
        await api.createProduct(props.merchant, body, id, requestId)
      }
      props.onDone()
    } catch (err) {
      setError(err)
    }
  }
  return (
    <form className="panel" onSubmit={submit} data-testid="product-form">
      <h3>{props.product ? t('product.edit') : t('product.new')}</h3>
      <div className="form-grid">
        {!props.product && (
          <Field label={t('product.id')} hint={t('member.idHint')}>
            {(fid) => <input id={fid} value={id} onChange={(e) => setId(e.target.value)} pattern="[a-z][a-z0-9-]{0,62}" name="productId" />}
          </Field>
        )}
        <Field label={t('product.name')}>
          {(fid) => <input id={fid} value={displayName} onChange={(e) => setDisplayName(e.target.value)} required maxLength={200} name="displayName" />}
        </Field>
        <Field label={t('product.category')} hint={t('product.categoryHint')}>
          {(fid) => <input id={fid} value={category} onChange={(e) => setCategory(e.target.value)} required pattern="[a-z][a-z0-9-]*" name="category" />}
        </Field>
        <Field label={t('product.origin')}>
          {(fid) => (
            <select id={fid} value={origin} onChange={(e) => setOrigin(e.target.value)} required name="originDistrict">
              <option value="">—</option>
              {districts.list.map((d) => <option key={d.code} value={d.code}>{d.displayName}</option>)}
            </select>
          )}
        </Field>
        <Field label={t('product.priceYuan')} hint={fen === undefined ? t('product.priceHint') : formatYuan(fen)}>
          {(fid) => <input id={fid} value={price} onChange={(e) => setPrice(e.target.value)} required inputMode="decimal" aria-invalid={fen === undefined} name="price" />}
        </Field>
        {props.product && (
          <div className="field">
            <label className="check"><input type="checkbox" checked={discontinued} onChange={(e) => setDiscontinued(e.target.checked)} /> {t('product.discontinued')}</label>
          </div>
        )}
      </div>
      <div className="actions">
        <button type="submit" className="primary" disabled={fen === undefined} data-testid="save-product">{props.product ? t('common.save') : t('product.create')}</button>
        <button type="button" onClick={props.onCancel}>{t('common.cancel')}</button>
      </div>
      {error !== undefined && <ErrorBox error={error} />}
    </form>
  )
}

function AgencyHosts(props: { agency: string }) {
  const { t } = useI18n()
  const hosts = useLoad(() => api.allMembers({ kind: 'MEMBER_KIND_HOST' }).then((hs) => hs.filter((h) => h.agency === props.agency)), [props.agency])
  return (
    <>
      <h2>{t('member.agencyHosts')}</h2>
      <Section loaded={hosts}>
        {(hs) => hs.length === 0 ? <Empty>{t('member.noHosts')}</Empty> : (
          <ul>{hs.map((h) => <li key={h.name}><MemberLink name={h.name} label={h.displayName} /></li>)}</ul>
        )}
      </Section>
    </>
  )
}

/** Sessions listed before "show all". */
const SESSIONS_SHOWN = 15

/** Sessions of the last two weeks and the coming ones, for the kinds a session names. */
function Sessions(props: { m: Member }) {
  const { t, label } = useI18n()
  const { m } = props
  const filter = m.kind === 'MEMBER_KIND_HOST' ? { host: m.name } : m.kind === 'MEMBER_KIND_BASE' ? { base: m.name } : m.kind === 'MEMBER_KIND_MERCHANT' ? { merchant: m.name } : undefined
  const since = addDays(shanghaiToday(), -14)
  const [all, setAll] = useState(false)
  const list = useLoad(async (): Promise<Session[]> => {
    if (!filter) return []
    const p = await api.listSessions({ ...filter, startAfter: fromShanghai(since).toISOString(), pageSize: 200 })
    return p.items.reverse()
  }, [m.name])
  if (!filter) return null
  return (
    <>
      <h2>{t('member.sessions')}</h2>
      <p className="note">{t('member.sessionsSince', { date: since })}</p>
      <Section loaded={list}>
        {(ss) => ss.length === 0 ? <Empty>{t('member.noSessions')}</Empty> : (
          <>
          <table data-testid="member-sessions">
            <thead><tr><th>{t('session.planned')}</th><th>{t('session.title')}</th><th>{t('session.platform')}</th><th>{t('member.state')}</th></tr></thead>
            <tbody>
              {(all ? ss : ss.slice(0, SESSIONS_SHOWN)).map((s) => (
                <tr key={s.name}>
                  <td>{formatDateTime(s.startTime)}</td>
                  <td><SessionLink session={s} /></td>
                  <td>{label('platform', s.platform)}</td>
                  <td><StateBadge group="sessionState" value={s.state} /></td>
                </tr>
              ))}
            </tbody>
          </table>
          {!all && ss.length > SESSIONS_SHOWN && <button type="button" onClick={() => setAll(true)}>{t('member.allSessions', { n: ss.length })}</button>}
          </>
        )}
      </Section>
    </>
  )
}

function Keys(props: { member: string }) {
  const { t } = useI18n()
  const { caps } = useSignedIn()
  const keys = useLoad(() => api.listApiKeys(props.member), [props.member])
  const [displayName, setDisplayName] = useState('')
  const [fresh, setFresh] = useState<{ key: string; name: string } | undefined>()
  const [error, setError] = useState<unknown>()
  const [copied, setCopied] = useState(false)
  const issue = async (e: FormEvent) => {
    e.preventDefault()
    setError(undefined)
    setCopied(false)
    try {
      const r = await api.createApiKey(props.member, displayName)
      setFresh({ key: r.key ?? '', name: r.apiKey?.name ?? '' })
      setDisplayName('')
      keys.reload()
    } catch (err) {
      setError(err)
    }
  }
  const revoke = async (k: ApiKey) => {
    setError(undefined)
    if (!window.confirm(t('key.confirmRevoke', { name: k.displayName || idOf(k.name) }))) return
    try {
      await api.revokeApiKey(k.name ?? '')
      keys.reload()
    } catch (err) {
      setError(err)
    }
  }
  const copy = async () => {
    if (!fresh) return
    try {
      await navigator.clipboard.writeText(fresh.key)
      setCopied(true)
    } catch {
      // No clipboard (an http page, a refused permission): the field is selected for Ctrl+C.
      const el = document.getElementById('new-key-value') as HTMLInputElement | null
      el?.select()
    }
  }
  return (
    <div className="panel" data-testid="keys">
      <h2>{t('key.title')}</h2>
      {fresh && (
        <div className="new-key" role="status" data-testid="new-key">
          <p><strong>{t('key.shownOnce')}</strong></p>
          <label htmlFor="new-key-value">{t('key.value')}</label>
          <input id="new-key-value" readOnly value={fresh.key} onFocus={(e) => e.target.select()} data-testid="new-key-value" />
          <button type="button" onClick={copy}>{copied ? t('key.copied') : t('key.copy')}</button>
          <button type="button" onClick={() => setFresh(undefined)}>{t('key.hide')}</button>
        </div>
      )}
      {mayAdminister(caps) && (
        <form onSubmit={issue} className="inline" data-admin="issue-key">
          <Field label={t('key.displayName')}>
            {(id) => <input id={id} value={displayName} onChange={(e) => setDisplayName(e.target.value)} maxLength={200} placeholder={t('key.placeholder')} />}
          </Field>
          <button type="submit" className="primary" data-testid="issue-key">{t('key.issue')}</button>
        </form>
      )}
      {error !== undefined && <ErrorBox error={error} />}
      <Section loaded={keys}>
        {(ks) => ks.length === 0 ? <Empty>{t('key.none')}</Empty> : (
          <table className="compact">
            <thead><tr><th>{t('key.displayName')}</th><th>{t('key.name')}</th><th>{t('member.state')}</th><th>{t('key.created')}</th><th /></tr></thead>
            <tbody>
              {ks.map((k) => (
                <tr key={k.name}>
                  <td>{k.displayName}</td>
                  <td><code>{k.name}</code></td>
                  <td><StateBadge group="keyState" value={k.state} />{k.revokeTime && <> {formatDateTime(k.revokeTime)}</>}</td>
                  <td>{formatDateTime(k.createTime)}</td>
                  <td>{k.state === 'API_KEY_STATE_ACTIVE' && <button type="button" onClick={() => revoke(k)}>{t('key.revoke')}</button>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Section>
    </div>
  )
}
