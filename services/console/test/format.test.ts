import { describe, expect, it } from 'vitest'
import {
  addDays, compactYuan, escapeHTML, formatCount, formatDateTime, formatTime, formatUsdAside, formatYuan, fromShanghai,
  mondayOf, monthOf, referenceRate, shanghaiToday, usdAtReferenceRate, yearOf,
} from '../src/format'

describe('money in yuan', () => {
  it.each([
    ['0', '¥0.00'],
    ['5', '¥0.05'],
    ['100', '¥1.00'],
    ['123456789', '¥1,234,567.89'],
    ['-26910', '-¥269.10'],
    ['100000000000', '¥1,000,000,000.00'],
    // int64's largest: exact, where a float would round
    ['9223372036854775807', '¥92,233,720,368,547,758.07'],
  ])('%s fen is %s', (fen, want) => {
    expect(formatYuan(fen)).toBe(want)
  })
  it('reads Money with its minor units left out as zero (protojson drops zero values)', () => {
    expect(formatYuan({ currencyCode: 'CNY' })).toBe('¥0.00')
    expect(formatYuan(undefined)).toBe('¥0.00')
    expect(formatYuan({ currencyCode: 'CNY', minorUnits: '12800' })).toBe('¥128.00')
  })
  it('can leave the symbol out for an input field', () => {
    expect(formatYuan('12800', { symbol: false })).toBe('128.00')
  })
  it('refuses a malformed amount instead of showing a wrong one', () => {
    expect(() => formatYuan('12.5')).toThrow()
  })
})

describe('the US dollar aside uses the fixed reference rate', () => {
  it('is ¥7.10 per dollar, shown as such', () => {
    expect(referenceRate()).toBe('7.10')
  })
  it.each([
    ['710', 1n],
    ['354', 0n], // 0.499 dollar rounds down
    ['355', 1n], // half a dollar rounds up
    ['106068827', 149393n],
    ['-710', -1n],
  ])('%s fen is about %s dollars', (fen, want) => {
    expect(usdAtReferenceRate(fen)).toBe(want)
  })
  it('formats with separators and the approximation sign', () => {
    expect(formatUsdAside('106068827')).toBe('≈ US$149,393')
  })
})

describe('counts and chart axes', () => {
  it('groups thousands, exact for int64 strings', () => {
    expect(formatCount('184000')).toBe('184,000')
    expect(formatCount(undefined)).toBe('0')
    expect(formatCount('-1234')).toBe('-1,234')
  })
  it('shortens yuan for axes in each language', () => {
    expect(compactYuan(1_000_000_000_000n, 'zh-CN')).toBe('100亿')
    expect(compactYuan(1_234_500n, 'zh-CN')).toBe('1.2万')
    expect(compactYuan(1_000_000_000_000n, 'en')).toBe('10B')
    expect(compactYuan(123_400n, 'en')).toBe('1.2K')
  })
})

describe('dates and times in Asia/Shanghai', () => {
  it('shows an instant on the alliance clock whatever the machine zone', () => {
    expect(formatDateTime('2020-11-11T12:00:00Z')).toBe('2020-11-11 20:00')
    expect(formatTime('2020-11-11T16:30:00Z')).toBe('00:30')
    // 23:59 UTC on New Year's Eve is already the next year in Chongqing
    expect(formatDateTime('2020-12-31T23:59:00Z')).toBe('2021-01-01 07:59')
  })
  it('gives "" for no time (protojson leaves unset timestamps out)', () => {
    expect(formatDateTime(undefined)).toBe('')
  })
  it('knows today there, not here', () => {
    expect(shanghaiToday(new Date('2026-03-01T16:00:00Z'))).toBe('2026-03-02')
    expect(shanghaiToday(new Date('2026-03-01T15:59:59Z'))).toBe('2026-03-01')
  })
  it('turns a wall-clock date and time there into the instant', () => {
    expect(fromShanghai('2026-12-01', '20:00').toISOString()).toBe('2026-12-01T12:00:00.000Z')
    expect(fromShanghai('2026-12-01').toISOString()).toBe('2026-11-30T16:00:00.000Z')
    expect(() => fromShanghai('2026-13-01', '20:00')).toThrow(RangeError)
    expect(() => fromShanghai('2026-12-01', '8pm')).toThrow(RangeError)
  })
  it('does calendar arithmetic on dates', () => {
    expect(addDays('2024-02-28', 1)).toBe('2024-02-29')
    expect(addDays('2024-03-01', -1)).toBe('2024-02-29')
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01')
  })
  it('weeks start on Monday (ISO), as the reports count them', () => {
    expect(mondayOf('2026-12-01')).toBe('2026-11-30') // a Tuesday
    expect(mondayOf('2026-11-30')).toBe('2026-11-30') // a Monday
    expect(mondayOf('2026-12-06')).toBe('2026-11-30') // a Sunday
  })
  it('gives years and months as [start, end) periods', () => {
    expect(yearOf('2020-06-15')).toEqual(['2020-01-01', '2021-01-01'])
    expect(monthOf('2020-12-15')).toEqual(['2020-12-01', '2021-01-01'])
    expect(monthOf('2020-02-03')).toEqual(['2020-02-01', '2020-03-01'])
  })
})

describe('names in chart tooltips', () => {
  it('are escaped, since members choose their own names', () => {
    expect(escapeHTML('<img src=x onerror="alert(1)">茶&酒\'')).toBe('&lt;img src=x onerror=&quot;alert(1)&quot;&gt;茶&amp;酒&#39;')
    expect(escapeHTML(undefined)).toBe('')
  })
})
