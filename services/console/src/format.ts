// Formatting of money, counts, dates and times for people. Money stays in
// integer minor units (fen) as bigint from the wire to the screen: the API
// sends int64 as strings, and a float would lose fen above 2^53.

import type { Money } from './api/types'

/** The alliance's time zone: reports bucket by its calendar days, and every time is shown in it. */
export const ALLIANCE_TZ = 'Asia/Shanghai'
/** Its offset. China has kept UTC+8 without daylight saving since 1991. */
const ALLIANCE_OFFSET = '+08:00'

/**
 * USD_REFERENCE_RATE is a FIXED reference rate, yuan per US dollar, for the
 * "about US$" aside next to yuan figures. It is not a live rate and is
 * labelled as such wherever it is used; the figures of record are in yuan.
 * Change it here (fen per US cent x 100: 710 means ¥7.10 = US$1).
 */
export const USD_REFERENCE_RATE_FEN_PER_DOLLAR = 710n

export function minorUnits(m: Money | string | bigint | number | undefined | null): bigint {
  if (m === undefined || m === null) return 0n
  if (typeof m === 'bigint') return m
  if (typeof m === 'number') return BigInt(Math.trunc(m))
  if (typeof m === 'string') return m === '' ? 0n : BigInt(m)
  return m.minorUnits ? BigInt(m.minorUnits) : 0n
}

/** groupThousands("1234567") is "1,234,567". */
export function groupThousands(digits: string): string {
  let out = ''
  for (let i = 0; i < digits.length; i++) {
    if (i > 0 && (digits.length - i) % 3 === 0) out += ','
    out += digits[i]
  }
  return out
}

/** formatCount(1234567) is "1,234,567"; int64 strings stay exact. */
export function formatCount(n: string | number | bigint | undefined | null): string {
  const v = minorUnits(n ?? 0)
  const neg = v < 0n
  const s = groupThousands((neg ? -v : v).toString())
  return neg ? '-' + s : s
}

/** formatYuan(123456789n) is "¥1,234,567.89": fen to yuan, exact, with thousands separators. */
export function formatYuan(m: Money | string | bigint | number | undefined | null, opts: { symbol?: boolean } = {}): string {
  const v = minorUnits(m)
  const neg = v < 0n
  const abs = neg ? -v : v
  const yuan = groupThousands((abs / 100n).toString())
  const fen = (abs % 100n).toString().padStart(2, '0')
  const sym = opts.symbol === false ? '' : '¥'
  return (neg ? '-' : '') + sym + yuan + '.' + fen
}

/** Whole US dollars at the fixed reference rate, rounded half away from zero. */
export function usdAtReferenceRate(m: Money | string | bigint | undefined | null): bigint {
  const v = minorUnits(m)
  const neg = v < 0n
  const abs = neg ? -v : v
  const rate = USD_REFERENCE_RATE_FEN_PER_DOLLAR
  const dollars = (abs + rate / 2n) / rate
  return neg ? -dollars : dollars
}

/** "≈ US$149,391", for the aside next to a yuan figure. */
export function formatUsdAside(m: Money | string | bigint | undefined | null): string {
  const d = usdAtReferenceRate(m)
  const neg = d < 0n
  return '≈ ' + (neg ? '-' : '') + 'US$' + groupThousands((neg ? -d : d).toString())
}

/** The reference rate as people read it: "7.10". */
export function referenceRate(): string {
  const r = USD_REFERENCE_RATE_FEN_PER_DOLLAR
  return (r / 100n).toString() + '.' + (r % 100n).toString().padStart(2, '0')
}

/**
 * Short yuan for chart axes: 1.06亿 / 106.1万 in Chinese, 10.6M / 106.1K in
 * English. Axis labels only; figures of record use formatYuan.
 */
export function compactYuan(m: Money | string | bigint | number | undefined | null, lang: string): string {
  const yuan = Number(minorUnits(m)) / 100
  const abs = Math.abs(yuan)
  const trim = (x: number) => (Math.round(x * 10) / 10).toString()
  if (lang.startsWith('zh')) {
    if (abs >= 1e8) return trim(yuan / 1e8) + '亿'
    if (abs >= 1e4) return trim(yuan / 1e4) + '万'
    return trim(yuan)
  }
  if (abs >= 1e9) return trim(yuan / 1e9) + 'B'
  if (abs >= 1e6) return trim(yuan / 1e6) + 'M'
  if (abs >= 1e3) return trim(yuan / 1e3) + 'K'
  return trim(yuan)
}

/** Yuan as a plain number, for chart series only (never shown unformatted). */
export function yuanNumber(m: Money | string | bigint | undefined | null): number {
  return Number(minorUnits(m)) / 100
}

const partsFormat = new Intl.DateTimeFormat('en-GB', {
  timeZone: ALLIANCE_TZ,
  year: 'numeric', month: '2-digit', day: '2-digit',
  hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
  weekday: 'short',
})

/** The wall-clock parts of an instant in the alliance's time zone. */
export function shanghaiParts(t: Date | string): { date: string; time: string; seconds: string; weekday: number } {
  const d = typeof t === 'string' ? new Date(t) : t
  const p: Record<string, string> = {}
  for (const part of partsFormat.formatToParts(d)) p[part.type] = part.value
  const days = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun']
  return {
    date: `${p.year}-${p.month}-${p.day}`,
    time: `${p.hour}:${p.minute}`,
    seconds: p.second ?? '00',
    weekday: days.indexOf(p.weekday ?? 'Mon'), // 0 = Monday
  }
}

/** "2026-11-11 20:00", in Asia/Shanghai; "" for no time. */
export function formatDateTime(t: string | Date | undefined | null): string {
  if (!t) return ''
  const p = shanghaiParts(t)
  return `${p.date} ${p.time}`
}

/** "20:00" in Asia/Shanghai. */
export function formatTime(t: string | Date | undefined | null): string {
  if (!t) return ''
  return shanghaiParts(t).time
}

/** Today's calendar date in the alliance's time zone, YYYY-MM-DD. */
export function shanghaiToday(now: Date = new Date()): string {
  return shanghaiParts(now).date
}

/** The instant of a wall-clock date and time in Asia/Shanghai. */
export function fromShanghai(date: string, time = '00:00'): Date {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || !/^\d{2}:\d{2}$/.test(time)) {
    throw new RangeError(`not a date and time: ${date} ${time}`)
  }
  const d = new Date(`${date}T${time}:00${ALLIANCE_OFFSET}`)
  if (Number.isNaN(d.getTime())) throw new RangeError(`not a date and time: ${date} ${time}`)
  return d
}

/** Calendar arithmetic on YYYY-MM-DD, independent of any time zone. */
export function addDays(date: string, n: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number]
  const t = new Date(Date.UTC(y, m - 1, d + n))
  return t.toISOString().slice(0, 10)
}

/** The Monday of the ISO week holding date. */
export function mondayOf(date: string): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number]
  const wd = (new Date(Date.UTC(y, m - 1, d)).getUTCDay() + 6) % 7 // 0 = Monday
  return addDays(date, -wd)
}

/** [first day of date's year, first day of the next year). */
export function yearOf(date: string): [string, string] {
  const y = Number(date.slice(0, 4))
  return [`${y}-01-01`, `${y + 1}-01-01`]
}

/** [first day of date's month, first day of the next month). */
export function monthOf(date: string): [string, string] {
  const y = Number(date.slice(0, 4))
  const m = Number(date.slice(5, 7))
  const next = m === 12 ? `${y + 1}-01-01` : `${y}-${String(m + 1).padStart(2, '0')}-01`
  return [`${date.slice(0, 7)}-01`, next]
}

/** A protobuf Duration in JSON: 5400 -> "5400s". */
export function durationJSON(seconds: number): string {
  return `${Math.round(seconds)}s`
}

/** Minutes between two instants (rounded). */
export function minutesBetween(a: string, b: string): number {
  return Math.round((new Date(b).getTime() - new Date(a).getTime()) / 60000)
}

/**
 * escapeHTML makes text safe inside HTML that a library writes with
 * innerHTML (chart tooltips): names come from members, who choose them.
 */
export function escapeHTML(text: string | undefined): string {
  return (text ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!)
}
