// The pieces every page uses: errors explained, empty and loading states,
// money, states, the period picker and links to resources.

import { useId, type ReactNode } from 'react'
import { ApiError } from '../api/client'
import { idOf } from '../api/api'
import type { Money as MoneyT, Session } from '../api/types'
import { useI18n, type Key } from '../i18n'
import { formatDateTime, formatUsdAside, formatYuan, minorUnits, monthOf, referenceRate, shanghaiToday, yearOf, addDays } from '../format'
import { Link } from '../router'
import { useSignedIn } from '../session'
import { useLoad } from '../hooks'
import { api } from '../session'

/** Who a key stands for, in a few words. */
export function useWho(): string {
  const { t, label } = useI18n()
  const { identity } = useSignedIn()
  switch (identity.kind) {
    case 'CALLER_KIND_ADMIN':
      return t('who.admin')
    case 'CALLER_KIND_STAFF':
      return `${identity.displayName ?? ''} (${label('role', identity.role || 'STAFF')})`
    case 'CALLER_KIND_MEMBER':
      return `${identity.displayName ?? idOf(identity.member)} (${label('kind', identity.memberKind)})`
    case 'CALLER_KIND_SERVICE':
      return `${identity.displayName ?? ''} (${t('who.service')})`
  }
  return ''
}

/** ErrorBox says what went wrong and what to do, for every kind of failure; never a blank page. */
export function ErrorBox(props: { error: unknown; title?: string }) {
  const { t, label } = useI18n()
  const { signOut } = useSignedIn()
  const who = useWho()
  const e = props.error
  if (!(e instanceof ApiError)) {
    return (
      <div className="error" role="alert">
        <strong>{props.title ?? t('err.title')}</strong>
        <p>{t('err.unexpected')} {e instanceof Error ? e.message : String(e)}</p>
      </div>
    )
  }
  let headline: string
  switch (true) {
    case e.code === 'NETWORK':
      headline = t('err.network')
      break
    case e.unavailableService !== '':
      headline = t('err.unavailable', { service: e.unavailableService })
      break
    case e.code === 'UNAVAILABLE':
      headline = t('err.unavailableSome')
      break
    case e.code === 'UNAUTHENTICATED':
      headline = t('err.unauthenticated')
      break
    case e.code === 'PERMISSION_DENIED':
      headline = t('err.forbidden', { who })
      break
    case e.reason !== '' && label('reason', e.reason) !== e.reason:
      headline = label('reason', e.reason)
      break
    case e.code === 'NOT_FOUND':
      headline = t('err.notFound')
      break
    default:
      headline = label('code', e.code)
  }
  return (
    <div className="error" role="alert" data-testid="error" data-reason={e.reason} data-code={e.code}>
      <strong>{props.title ?? t('err.title')}</strong>
      <p className="error-headline">{headline}</p>
      {e.fieldViolations.length > 0 && (
        <ul>
          {e.fieldViolations.map((v) => (
            <li key={v.field}>
              <code>{v.field}</code>: {v.description}
            </li>
          ))}
        </ul>
      )}
      {e.conflictingSession && <SessionInTheWay name={e.conflictingSession} />}
      <p className="error-detail">
        <code>{e.code}</code>
        {e.reason && e.reason !== e.code && (
          <>
            {' · '}
            <code data-testid="error-reason">{e.reason}</code>
          </>
        )}
        {e.message && <> · {e.message}</>}
        {e.requestId && <> · {t('err.requestId')} {e.requestId}</>}
      </p>
      {e.code === 'UNAUTHENTICATED' && (
        <button type="button" onClick={signOut}>
          {t('auth.signInAgain')}
        </button>
      )}
    </div>
  )
}

/** The session a refused booking ran into, with its title and times. */
function SessionInTheWay(props: { name: string }) {
  const { t } = useI18n()
  const s = useLoad(() => api.getSession(props.name), [props.name])
  return (
    <p className="in-the-way" data-testid="session-in-the-way" data-session={props.name}>
      {t('err.inTheWay')}{' '}
      <Link to={'/' + props.name}>{s.data?.title ?? idOf(props.name)}</Link>
      {s.data && (
        <>
          {' '}
          ({formatDateTime(s.data.startTime)} – {formatDateTime(s.data.endTime)} {t('tz.short')})
        </>
      )}
    </p>
  )
}

export function Empty(props: { children: ReactNode }) {
  return (
    <p className="empty" data-testid="empty">
      {props.children}
    </p>
  )
}

export function Loading() {
  const { t } = useI18n()
  return (
    <p className="loading" aria-live="polite">
      {t('common.loading')}
    </p>
  )
}

/** Load state of a section: an error, the first load, or the content. */
export function Section<T>(props: { loaded: { data: T | undefined; error: unknown; loading: boolean }; children: (d: T) => ReactNode }) {
  const { data, error, loading } = props.loaded
  if (error && data === undefined) return <ErrorBox error={error} />
  if (data === undefined) return loading ? <Loading /> : null
  return (
    <>
      {error !== undefined && <ErrorBox error={error} />}
      {props.children(data)}
    </>
  )
}

/** Yuan, exact; with the USD aside when asked, marked as a fixed reference rate. */
export function Money(props: { value: MoneyT | string | bigint | undefined; usd?: boolean; testId?: string }) {
  const { t } = useI18n()
  const v = minorUnits(props.value)
  return (
    <span className="money" data-testid={props.testId} data-minor={v.toString()}>
      {formatYuan(v)}
      {props.usd && (
        <span className="usd" title={t('money.usdNote', { rate: referenceRate() })}>
          {' '}
          {formatUsdAside(v)}*
        </span>
      )}
    </span>
  )
}

export function UsdNote() {
  const { t } = useI18n()
  return <p className="note">* {t('money.usdNote', { rate: referenceRate() })}</p>
}

export function StateBadge(props: { group: 'sessionState' | 'memberState' | 'productState' | 'keyState'; value: string | undefined }) {
  const { label } = useI18n()
  if (!props.value) return null
  const short = props.value.replace(/^[A-Z_]*STATE_/, '').toLowerCase()
  return <span className={'badge badge-' + short}>{label(props.group, props.value)}</span>
}

/** A report key of the PLATFORM dimension ("DOUYIN") in the page's language. */
export function platformName(label: (g: string, v: string | undefined) => string, key: string | undefined, displayName?: string): string {
  if (!key) return displayName ?? ''
  const full = key.startsWith('PLATFORM_') ? key : 'PLATFORM_' + key
  const l = label('platform', full)
  return l === full ? displayName || key : l
}

export function MemberLink(props: { name: string | undefined; label?: string }) {
  if (!props.name) return <span>—</span>
  return <Link to={'/' + props.name}>{props.label || idOf(props.name)}</Link>
}

export function SessionLink(props: { session: Session }) {
  return <Link to={'/' + (props.session.name ?? '')}>{props.session.title || idOf(props.session.name)}</Link>
}

/** data_through: how fresh the figures are. */
export function Freshness(props: { dataThrough: string | undefined }) {
  const { t } = useI18n()
  return (
    <p className="freshness" data-testid="data-through" data-value={props.dataThrough ?? ''}>
      {props.dataThrough ? t('report.dataThrough', { time: formatDateTime(props.dataThrough) }) : t('report.noData')}
    </p>
  )
}

export interface Period {
  start: string
  end: string
}

export type Preset = 'year' | 'month' | 'days30' | 'days7' | 'today' | 'custom'

export function presetPeriod(p: Preset, today = shanghaiToday()): Period {
  switch (p) {
    case 'month': {
      const [s, e] = monthOf(today)
      return { start: s, end: e }
    }
    case 'days30':
      return { start: addDays(today, -29), end: addDays(today, 1) }
    case 'days7':
      return { start: addDays(today, -6), end: addDays(today, 1) }
    case 'today':
      return { start: today, end: addDays(today, 1) }
    default: {
      const [s, e] = yearOf(today)
      return { start: s, end: e }
    }
  }
}

/** periodFromQuery reads ?from=&to= (end exclusive) or ?period=, defaulting to this year. */
export function periodFromQuery(q: URLSearchParams): { preset: Preset; period: Period } {
  const from = q.get('from') ?? ''
  const to = q.get('to') ?? ''
  if (/^\d{4}-\d{2}-\d{2}$/.test(from) && /^\d{4}-\d{2}-\d{2}$/.test(to)) return { preset: 'custom', period: { start: from, end: to } }
  const p = (q.get('period') ?? 'year') as Preset
  const known: Preset[] = ['year', 'month', 'days30', 'days7', 'today']
  const preset = known.includes(p) ? p : 'year'
  return { preset, period: presetPeriod(preset) }
}

/** The period picker: presets, or two dates (the end date inclusive for people, exclusive on the wire). */
export function PeriodPicker(props: { preset: Preset; period: Period; onChange: (p: Preset, period: Period) => void }) {
  const { t } = useI18n()
  const id = useId()
  const presets: [Preset, Key][] = [
    ['year', 'period.year'], ['month', 'period.month'], ['days30', 'period.days30'], ['days7', 'period.days7'], ['today', 'period.today'], ['custom', 'period.custom'],
  ]
  const lastDay = addDays(props.period.end, -1)
  return (
    <fieldset className="period">
      <legend>{t('period.legend')}</legend>
      <label htmlFor={id + '-preset'}>{t('period.preset')}</label>
      <select id={id + '-preset'} value={props.preset} onChange={(e) => {
        const p = e.target.value as Preset
        props.onChange(p, p === 'custom' ? props.period : presetPeriod(p))
      }}>
        {presets.map(([p, k]) => (
          <option key={p} value={p}>{t(k)}</option>
        ))}
      </select>
      <label htmlFor={id + '-from'}>{t('period.from')}</label>
      <input id={id + '-from'} type="date" value={props.period.start} required
        onChange={(e) => e.target.value && props.onChange('custom', { start: e.target.value, end: props.period.end > e.target.value ? props.period.end : addDays(e.target.value, 1) })} />
      <label htmlFor={id + '-to'}>{t('period.to')}</label>
      <input id={id + '-to'} type="date" value={lastDay} min={props.period.start} required
        onChange={(e) => e.target.value && props.onChange('custom', { start: props.period.start, end: addDays(e.target.value, 1) })} />
    </fieldset>
  )
}

/** A labelled form field: the label is tied to its control, so forms work by keyboard and screen reader. */
export function Field(props: { label: string; children: (id: string) => ReactNode; hint?: string }) {
  const id = useId()
  return (
    <div className="field">
      <label htmlFor={id}>{props.label}</label>
      {props.children(id)}
      {props.hint && <small>{props.hint}</small>}
    </div>
  )
}
