// The schedule: a week of a base's studios, and booking into a free slot.
// A live session's net ticks up in its cell while the week is on screen.

import { useEffect, useMemo, useState, type FormEvent } from 'react'
import { idOf } from '../api/api'
import type { Member, Platform, Product, Session } from '../api/types'
import { PLATFORMS } from '../api/types'
import { useI18n } from '../i18n'
import { useLoad, usePoll } from '../hooks'
import { api, useSignedIn } from '../session'
import { mayBook, mayBookStudio } from '../caps'
import { setQuery, useLocation, Link } from '../router'
import { Empty, ErrorBox, Field, Money, Section, StateBadge } from '../components/ui'
import { addDays, durationJSON, formatDateTime, formatTime, fromShanghai, mondayOf, shanghaiParts, shanghaiToday } from '../format'

/** How often a LIVE session's figures are fetched again. */
export const LIVE_POLL_MS = 3000

export function Schedule() {
  const { t } = useI18n()
  const loc = useLocation()
  const bases = useLoad(() => api.allMembers({ kind: 'MEMBER_KIND_BASE' }), [])
  const today = shanghaiToday()
  const week = mondayOf(loc.query.get('week') || today)
  const baseName = loc.query.get('base') || bases.data?.find((b) => b.state === 'MEMBER_STATE_ACTIVE')?.name || bases.data?.[0]?.name || ''
  const base = bases.data?.find((b) => b.name === baseName)

  return (
    <section data-testid="schedule">
      <header className="page-head"><h1>{t('nav.schedule')}</h1></header>
      <Section loaded={bases}>
        {(list) => list.length === 0 ? <Empty>{t('schedule.noBases')}</Empty> : (
          <>
            <div className="toolbar">
              <Field label={t('schedule.base')}>
                {(id) => (
                  <select id={id} value={baseName} onChange={(e) => setQuery({ base: e.target.value })} data-testid="base-select">
                    {list.map((b) => <option key={b.name} value={b.name}>{b.displayName}</option>)}
                  </select>
                )}
              </Field>
              <div className="week-nav" role="group" aria-label={t('schedule.week')}>
                <button type="button" onClick={() => setQuery({ week: addDays(week, -7) })}>← {t('schedule.prevWeek')}</button>
                <button type="button" onClick={() => setQuery({ week: undefined })}>{t('schedule.thisWeek')}</button>
                <button type="button" onClick={() => setQuery({ week: addDays(week, 7) })}>{t('schedule.nextWeek')} →</button>
                <span className="week-label">{t('schedule.weekOf', { from: week, to: addDays(week, 6) })}</span>
              </div>
            </div>
            {base && <Week base={base} week={week} today={today} />}
          </>
        )}
      </Section>
    </section>
  )
}

function Week(props: { base: Member; week: string; today: string }) {
  const { t } = useI18n()
  const { caps } = useSignedIn()
  const { base, week } = props
  const [booked, setBooked] = useState<Session | undefined>()
  const sessions = useLoad(async () => {
    const out: Session[] = []
    let token: string | undefined
    do {
      const p = await api.listSessions({
        base: base.name, startAfter: fromShanghai(week).toISOString(), startBefore: fromShanghai(addDays(week, 7)).toISOString(),
        pageSize: 1000, pageToken: token,
      })
      out.push(...p.items)
      token = p.nextPageToken
    } while (token)
    return out
  }, [base.name, week, booked?.name])

  const days = Array.from({ length: 7 }, (_, i) => addDays(week, i))
  const studios = base.studios ?? []
  const live = (sessions.data ?? []).filter((s) => s.state === 'SESSION_STATE_LIVE')
  const hosts = useHostNames(sessions.data ?? [])

  return (
    <>
      <Section loaded={sessions}>
        {(list) => (
          <>
            {list.length === 0 && <Empty>{t('schedule.emptyWeek')}</Empty>}
            <div className="table-scroll">
              <table className="week" data-testid="week">
                <thead>
                  <tr>
                    <th scope="col">{t('schedule.studio')}</th>
                    {days.map((d, i) => (
                      <th scope="col" key={d} className={d === props.today ? 'today' : ''}>
                        {t(('weekday.' + i) as 'weekday.0')} <span className="date">{d.slice(5)}</span>
                      </th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {studios.map((st) => {
                    const studioName = `${base.name}/studios/${st.studioId}`
                    return (
                      <tr key={st.studioId}>
                        <th scope="row">{st.displayName}<br /><small>{st.studioId}</small></th>
                        {days.map((d) => {
                          const here = list.filter((s) => s.studio === studioName && shanghaiParts(s.startTime ?? '').date === d)
                          return (
                            <td key={d} className={d === props.today ? 'today' : ''}>
                              {here.map((s) => (
                                <div key={s.name} className={'slot slot-' + (s.state ?? '').replace('SESSION_STATE_', '').toLowerCase()} data-session={s.name}>
                                  <span className="slot-time">{formatTime(s.startTime)}–{formatTime(s.endTime)}</span>{' '}
                                  <Link to={'/' + s.name}>{s.title || idOf(s.name)}</Link>
                                  <div className="slot-meta">
                                    {hosts.get(s.host ?? '') ?? idOf(s.host)} <StateBadge group="sessionState" value={s.state} />
                                  </div>
                                  {s.state === 'SESSION_STATE_LIVE' && <LiveNet session={s.name ?? ''} />}
                                </div>
                              ))}
                            </td>
                          )
                        })}
                      </tr>
                    )
                  })}
                </tbody>
              </table>
            </div>
            {live.length > 0 && <p className="note">{t('schedule.liveNote', { s: LIVE_POLL_MS / 1000 })}</p>}
            <p className="note">{t('tz.note')}</p>
          </>
        )}
      </Section>
      {mayBook(caps) ? (
        <BookingForm base={base} onBooked={setBooked} booked={booked} />
      ) : (
        <p className="note">{t('schedule.mayNotBook')}</p>
      )}
    </>
  )
}

/** A live session's net, fetched again every few seconds; nothing when the key may not read its sales. */
function LiveNet(props: { session: string }) {
  const { t } = useI18n()
  const s = useLoad(() => api.getSessionSummary(props.session), [props.session])
  usePoll(s, LIVE_POLL_MS, true)
  if (!s.data) return null
  return (
    <div className="live-net" data-testid="live-net">
      {t('session.liveNet')} <Money value={s.data.net} />
    </div>
  )
}

function useHostNames(sessions: Session[]): Map<string, string> {
  const names = [...new Set(sessions.map((s) => s.host ?? '').filter(Boolean))].sort()
  const key = names.join(',')
  const m = useLoad(() => api.batchGetMembers(names), [key])
  return new Map((m.data ?? []).map((x) => [x.name ?? '', x.displayName ?? '']))
}

/** The next five-minute mark at least a minute from now: a start the scheduler accepts. */
export function nextStart(now: Date): Date {
  const step = 5 * 60_000
  return new Date(Math.ceil((now.getTime() + 60_000) / step) * step)
}

function newRequestId(): string {
  return globalThis.crypto?.randomUUID?.() ?? `r-${Date.now()}-${Math.random().toString(36).slice(2)}`
}

function BookingForm(props: { base: Member; booked: Session | undefined; onBooked: (s: Session) => void }) {
  const { t, label } = useI18n()
  const { caps, identity } = useSignedIn()
  const { base } = props
  const studios = (base.studios ?? []).map((s) => ({ name: `${base.name}/studios/${s.studioId}`, label: s.displayName ?? s.studioId ?? '' }))
  const hosts = useLoad(async () => {
    if (caps.memberKind === 'MEMBER_KIND_HOST') return [await api.getMember(caps.member)]
    const all = await api.allMembers({ kind: 'MEMBER_KIND_HOST', state: 'MEMBER_STATE_ACTIVE' })
    return caps.memberKind === 'MEMBER_KIND_AGENCY' ? all.filter((h) => h.agency === caps.member) : all
  }, [caps.member, caps.memberKind])
  const products = useLoad(async () => {
    const out: Product[] = []
    let token: string | undefined
    do {
      const p = await api.listProducts('members/-', { pageSize: 1000, pageToken: token })
      out.push(...p.items.filter((x) => x.state !== 'PRODUCT_STATE_DISCONTINUED'))
      token = p.nextPageToken
    } while (token)
    return out
  }, [])
  const start0 = nextStart(new Date())
  const [studio, setStudio] = useState(studios[0]?.name ?? '')
  const [host, setHost] = useState('')
  const [title, setTitle] = useState('')
  const [platform, setPlatform] = useState<Platform>('PLATFORM_DOUYIN')
  const [chosen, setChosen] = useState<string[]>([])
  const [date, setDate] = useState(shanghaiParts(start0).date)
  const [time, setTime] = useState(shanghaiParts(start0).time)
  const [minutes, setMinutes] = useState(120)
  const [slots, setSlots] = useState<{ start: string; end: string; studio: string }[] | undefined>()
  const [error, setError] = useState<unknown>()
  const [busy, setBusy] = useState(false)

  useEffect(() => {
    if (!studios.some((s) => s.name === studio)) setStudio(studios[0]?.name ?? '')
  }, [base.name])
  useEffect(() => {
    if (!host && hosts.data?.[0]) setHost(hosts.data[0].name ?? '')
  }, [hosts.data, host])

  const merchants = useMemo(() => [...new Set(chosen.map((p) => p.slice(0, p.indexOf('/products/'))))].sort(), [chosen])
  const allowed = mayBookStudio(caps, studio)

  const findSlots = async () => {
    setError(undefined)
    setSlots(undefined)
    try {
      const from = nextStart(new Date())
      const dayStart = fromShanghai(date)
      const windowStart = dayStart > from ? dayStart : from
      const found = await api.findAvailableSlots({
        studio, host: host || undefined, duration: durationJSON(minutes * 60),
        windowStart: windowStart.toISOString(), windowEnd: new Date(windowStart.getTime() + 3 * 86400_000).toISOString(),
      })
      setSlots(found.slice(0, 8).map((s) => ({ start: s.startTime ?? '', end: s.endTime ?? '', studio: s.studio ?? '' })))
    } catch (e) {
      setError(e)
    }
  }

  const submit = async (e: FormEvent) => {
    e.preventDefault()
    setError(undefined)
    setBusy(true)
    try {
      const start = fromShanghai(date, time)
      const s = await api.createSession({
        title, host, studio, platform, merchants, products: chosen,
        startTime: start.toISOString(), endTime: new Date(start.getTime() + minutes * 60_000).toISOString(),
      }, newRequestId())
      props.onBooked(s)
      setSlots(undefined)
    } catch (err) {
      setError(err)
    } finally {
      setBusy(false)
    }
  }

  return (
    <form className="panel booking" onSubmit={submit} data-testid="booking-form" aria-labelledby="booking-title">
      <h2 id="booking-title">{t('booking.title')}</h2>
      {props.booked && (
        <p className="success" role="status" data-testid="booked" data-session={props.booked.name} data-state={props.booked.state}>
          {props.booked.state === 'SESSION_STATE_PENDING_APPROVAL' ? t('booking.pending') : t('booking.done')} <Link to={'/' + props.booked.name}>{props.booked.title}</Link>{' '}
          ({formatDateTime(props.booked.startTime)} {t('tz.short')})
        </p>
      )}
      <div className="form-grid">
        <Field label={t('booking.studio')}>
          {(id) => (
            <select id={id} value={studio} onChange={(e) => setStudio(e.target.value)} required name="studio">
              {studios.map((s) => <option key={s.name} value={s.name}>{s.label}</option>)}
            </select>
          )}
        </Field>
        <Field label={t('booking.host')}>
          {(id) => (
            <select id={id} value={host} onChange={(e) => setHost(e.target.value)} required name="host" disabled={caps.memberKind === 'MEMBER_KIND_HOST'}>
              {(hosts.data ?? []).map((h) => <option key={h.name} value={h.name}>{h.displayName}{h.official ? ' · ' + t('member.official') : ''}</option>)}
            </select>
          )}
        </Field>
        <Field label={t('booking.sessionTitle')}>
          {(id) => <input id={id} value={title} onChange={(e) => setTitle(e.target.value)} required maxLength={200} name="title" />}
        </Field>
        <Field label={t('booking.platform')}>
          {(id) => (
            <select id={id} value={platform} onChange={(e) => setPlatform(e.target.value as Platform)} name="platform">
              {PLATFORMS.map((p) => <option key={p} value={p}>{label('platform', p)}</option>)}
            </select>
          )}
        </Field>
        <Field label={t('booking.date')} hint={t('tz.short')}>
          {(id) => <input id={id} type="date" value={date} onChange={(e) => setDate(e.target.value)} required name="date" />}
        </Field>
        <Field label={t('booking.start')} hint={t('tz.short')}>
          {(id) => <input id={id} type="time" value={time} onChange={(e) => setTime(e.target.value)} required name="time" step={60} />}
        </Field>
        <Field label={t('booking.minutes')}>
          {(id) => <input id={id} type="number" min={15} max={720} step={5} value={minutes} onChange={(e) => setMinutes(Number(e.target.value))} required name="minutes" />}
        </Field>
      </div>
      <fieldset className="products">
        <legend>{t('booking.products')}</legend>
        {(products.data ?? []).length === 0 && <Empty>{t('booking.noProducts')}</Empty>}
        {(products.data ?? []).map((p) => (
          <label key={p.name} className="check">
            <input type="checkbox" checked={chosen.includes(p.name ?? '')} value={p.name}
              onChange={(e) => setChosen(e.target.checked ? [...chosen, p.name ?? ''] : chosen.filter((x) => x !== p.name))} />
            {p.displayName} <small>({idOf(baseOfProduct(p.name))})</small>
          </label>
        ))}
      </fieldset>
      {!allowed && <p className="note">{t('booking.notYourStudio', { who: identity.displayName ?? '' })}</p>}
      <div className="actions">
        <button type="button" onClick={findSlots} disabled={!studio} data-testid="find-slots">{t('booking.findSlots')}</button>
        <button type="submit" className="primary" disabled={busy || !allowed || !host || !studio} data-testid="book">{t('booking.book')}</button>
      </div>
      {slots && (
        <div className="slots" data-testid="slots">
          <p>{slots.length === 0 ? t('booking.noSlots') : t('booking.pickSlot')}</p>
          {slots.map((s) => (
            <button type="button" key={s.studio + s.start} className="slot-choice" data-start={s.start} onClick={() => {
              const p = shanghaiParts(s.start)
              setDate(p.date)
              setTime(p.time)
              setStudio(s.studio)
            }}>
              {formatDateTime(s.start)} – {formatTime(s.end)}
            </button>
          ))}
        </div>
      )}
      {error !== undefined && <ErrorBox error={error} title={t('booking.refused')} />}
    </form>
  )
}

function baseOfProduct(name: string | undefined): string {
  if (!name) return ''
  const i = name.indexOf('/products/')
  return i < 0 ? name : name.slice(0, i)
}

