// The member directory by kind, district and state; admins also register
// members here.

import { useState, type FormEvent } from 'react'
import type { Member, MemberKind, MemberState } from '../api/types'
import { MEMBER_KINDS, MEMBER_STATES } from '../api/types'
import { useI18n } from '../i18n'
import { useLoad } from '../hooks'
import { api, useSignedIn } from '../session'
import { mayAdminister } from '../caps'
import { navigate, setQuery, useLocation, Link } from '../router'
import { Empty, ErrorBox, Field, Section, StateBadge } from '../components/ui'
import { useDistricts } from '../directory'

const PAGE = 50

export function Members() {
  const { t, label } = useI18n()
  const { caps } = useSignedIn()
  const loc = useLocation()
  const districts = useDistricts()
  const kind = (loc.query.get('kind') ?? '') as MemberKind | ''
  const district = loc.query.get('district') ?? ''
  const state = (loc.query.get('state') ?? '') as MemberState | ''
  const [tokens, setTokens] = useState<string[]>([''])
  const [creating, setCreating] = useState(false)
  const pageNo = tokens.length - 1
  const page = useLoad(() => api.listMembers({ kind, district, state, pageSize: PAGE, pageToken: tokens[pageNo] || undefined }),
    [kind, district, state, tokens.join('|')])
  const filter = (c: Record<string, string | undefined>) => {
    setTokens([''])
    setQuery(c)
  }
  return (
    <section data-testid="members">
      <header className="page-head">
        <h1>{t('nav.members')}</h1>
        {mayAdminister(caps) && (
          <button type="button" className="primary" onClick={() => setCreating(!creating)} aria-expanded={creating} data-testid="new-member">
            {t('member.new')}
          </button>
        )}
      </header>
      {creating && mayAdminister(caps) && <MemberForm onDone={(m) => navigate('/' + m.name)} onCancel={() => setCreating(false)} />}
      <div className="toolbar">
        <Field label={t('member.kind')}>
          {(id) => (
            <select id={id} value={kind} onChange={(e) => filter({ kind: e.target.value })}>
              <option value="">{t('common.all')}</option>
              {MEMBER_KINDS.map((k) => <option key={k} value={k}>{label('kind', k)}</option>)}
            </select>
          )}
        </Field>
        <Field label={t('member.district')}>
          {(id) => (
            <select id={id} value={district} onChange={(e) => filter({ district: e.target.value })}>
              <option value="">{t('common.all')}</option>
              {districts.list.map((d) => <option key={d.code} value={d.code}>{d.displayName}</option>)}
            </select>
          )}
        </Field>
        <Field label={t('member.state')}>
          {(id) => (
            <select id={id} value={state} onChange={(e) => filter({ state: e.target.value })}>
              <option value="">{t('common.all')}</option>
              {MEMBER_STATES.map((s) => <option key={s} value={s}>{label('memberState', s)}</option>)}
            </select>
          )}
        </Field>
      </div>
      <Section loaded={page}>
        {(p) => p.items.length === 0 ? <Empty>{t('member.none')}</Empty> : (
          <>
            <table data-testid="member-list">
              <thead>
                <tr><th>{t('member.displayName')}</th><th>{t('member.kind')}</th><th>{t('member.district')}</th><th>{t('member.state')}</th><th>{t('member.id')}</th></tr>
              </thead>
              <tbody>
                {p.items.map((m) => (
                  <tr key={m.name} data-member={m.name}>
                    <td>
                      <Link to={'/' + m.name}>{m.displayName}</Link>
                      {m.official && <span className="badge badge-official">{t('member.official')}</span>}
                    </td>
                    <td>{label('kind', m.kind)}</td>
                    <td>{districts.name(m.district)}</td>
                    <td><StateBadge group="memberState" value={m.state} /></td>
                    <td><code>{m.name}</code></td>
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
    </section>
  )
}

/** "studio-1 一号直播间" per line <-> studios. */
export function parseStudios(text: string): { studioId: string; displayName: string }[] {
  return text.split('\n').map((l) => l.trim()).filter(Boolean).map((l) => {
    const i = l.search(/\s/)
    return i < 0 ? { studioId: l, displayName: l } : { studioId: l.slice(0, i), displayName: l.slice(i).trim() }
  })
}

export function studiosText(m: Member | undefined): string {
  return (m?.studios ?? []).map((s) => `${s.studioId ?? ''} ${s.displayName ?? ''}`.trim()).join('\n')
}

/**
 * MemberForm creates a member (no `member` given) or edits one. A member
 * editing itself may not change its agency, official flag or district.
 */
export function MemberForm(props: { member?: Member; self?: boolean; onDone: (m: Member) => void; onCancel: () => void }) {
  const { t, label } = useI18n()
  const districts = useDistricts()
  const editing = props.member !== undefined
  const m0 = props.member ?? {}
  const agencies = useLoad(() => api.allMembers({ kind: 'MEMBER_KIND_AGENCY', state: 'MEMBER_STATE_ACTIVE' }), [])
  const [id, setId] = useState('')
  const [kind, setKind] = useState<MemberKind>(m0.kind ?? 'MEMBER_KIND_HOST')
  const [displayName, setDisplayName] = useState(m0.displayName ?? '')
  const [district, setDistrict] = useState(m0.district ?? '')
  const [agency, setAgency] = useState(m0.agency ?? '')
  const [official, setOfficial] = useState(m0.official ?? false)
  const [studios, setStudios] = useState(studiosText(props.member))
  const [person, setPerson] = useState(m0.contact?.person ?? '')
  const [phone, setPhone] = useState(m0.contact?.phone ?? '')
  const [email, setEmail] = useState(m0.contact?.email ?? '')
  const [error, setError] = useState<unknown>()
  const [busy, setBusy] = useState(false)
  const [requestId] = useState(() => globalThis.crypto?.randomUUID?.() ?? String(Date.now()))

  const submit = async (e: FormEvent) => {
    e.preventDefault()
    setError(undefined)
    setBusy(true)
    const body: Member = { displayName, contact: { person, phone, email } }
    if (!props.self) body.district = district
    if (kind === 'MEMBER_KIND_HOST' && !props.self) {
      body.agency = agency
      body.official = official
    }
    if (kind === 'MEMBER_KIND_BASE') body.studios = parseStudios(studios)
    try {
      const m = editing
        ? await api.updateMember(m0.name ?? '', { ...body, etag: m0.etag })
        : await api.createMember({ ...body, kind }, id, requestId)
      props.onDone(m)
    } catch (err) {
      setError(err)
    } finally {
      setBusy(false)
    }
  }

  return (
    <form className="panel" onSubmit={submit} data-testid="member-form">
      <h2>{editing ? t('member.edit') : t('member.new')}</h2>
      <div className="form-grid">
        {!editing && (
          <Field label={t('member.id')} hint={t('member.idHint')}>
            {(fid) => <input id={fid} value={id} onChange={(e) => setId(e.target.value)} pattern="[a-z][a-z0-9-]{0,62}" name="memberId" />}
          </Field>
        )}
        {!editing && (
          <Field label={t('member.kind')}>
            {(fid) => (
              <select id={fid} value={kind} onChange={(e) => setKind(e.target.value as MemberKind)} name="kind">
                {MEMBER_KINDS.map((k) => <option key={k} value={k}>{label('kind', k)}</option>)}
              </select>
            )}
          </Field>
        )}
        <Field label={t('member.displayName')}>
          {(fid) => <input id={fid} value={displayName} onChange={(e) => setDisplayName(e.target.value)} required maxLength={200} name="displayName" />}
        </Field>
        {!props.self && (
          <Field label={t('member.district')}>
            {(fid) => (
              <select id={fid} value={district} onChange={(e) => setDistrict(e.target.value)} required name="district">
                <option value="">—</option>
                {districts.list.map((d) => <option key={d.code} value={d.code}>{d.displayName}</option>)}
              </select>
            )}
          </Field>
        )}
        {kind === 'MEMBER_KIND_HOST' && !props.self && (
          <>
            <Field label={t('member.agency')}>
              {(fid) => (
                <select id={fid} value={agency} onChange={(e) => setAgency(e.target.value)} name="agency">
                  <option value="">{t('member.noAgency')}</option>
                  {(agencies.data ?? []).map((a) => <option key={a.name} value={a.name}>{a.displayName}</option>)}
                </select>
              )}
            </Field>
            <div className="field">
              <label className="check"><input type="checkbox" checked={official} onChange={(e) => setOfficial(e.target.checked)} name="official" /> {t('member.officialHint')}</label>
            </div>
          </>
        )}
        {kind === 'MEMBER_KIND_BASE' && (
          <Field label={t('member.studios')} hint={t('member.studiosHint')}>
            {(fid) => <textarea id={fid} value={studios} onChange={(e) => setStudios(e.target.value)} rows={3} name="studios" />}
          </Field>
        )}
        <Field label={t('contact.person')}>
          {(fid) => <input id={fid} value={person} onChange={(e) => setPerson(e.target.value)} name="person" />}
        </Field>
        <Field label={t('contact.phone')}>
          {(fid) => <input id={fid} value={phone} onChange={(e) => setPhone(e.target.value)} type="tel" name="phone" />}
        </Field>
        <Field label={t('contact.email')}>
          {(fid) => <input id={fid} value={email} onChange={(e) => setEmail(e.target.value)} type="email" name="email" />}
        </Field>
      </div>
      <p className="note">{t('contact.visibility')}</p>
      <div className="actions">
        <button type="submit" className="primary" disabled={busy} data-testid="save-member">{editing ? t('common.save') : t('member.create')}</button>
        <button type="button" onClick={props.onCancel}>{t('common.cancel')}</button>
      </div>
      {error !== undefined && <ErrorBox error={error} />}
    </form>
  )
}
