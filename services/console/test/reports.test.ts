import { describe, expect, it } from 'vitest'
import { reportFromQuery, reportToQuery } from '../src/pages/Reports'
import { parseYuan } from '../src/pages/Member'
import { parseStudios, studiosText } from '../src/pages/Members'
import { nextStart } from '../src/pages/Schedule'

describe('a report lives in the address', () => {
  it('round-trips period, granularity, dimensions and filters', () => {
    const q = new URLSearchParams('from=2020-01-01&to=2021-01-01&g=WEEK&by=HOST,PLATFORM&category=tea&originDistrict=banan&platform=PLATFORM_DOUYIN')
    const r = reportFromQuery(q)
    expect(r).toMatchObject({
      preset: 'custom', startDate: '2020-01-01', endDate: '2021-01-01', granularity: 'GRANULARITY_WEEK',
      groupBy: ['DIMENSION_HOST', 'DIMENSION_PLATFORM'], category: 'tea', originDistrict: 'banan', platform: 'PLATFORM_DOUYIN',
    })
    const { preset, ...req } = r
    expect(reportFromQuery(new URLSearchParams(reportToQuery(req, preset)))).toEqual(r)
  })
  it('keeps at most two known dimensions and a known granularity', () => {
    const r = reportFromQuery(new URLSearchParams('by=HOST,BOGUS,BASE,MERCHANT&g=FORTNIGHT'))
    expect(r.groupBy).toEqual(['DIMENSION_HOST', 'DIMENSION_BASE'])
    expect(r.granularity).toBe('GRANULARITY_MONTH')
  })
})

describe('form parsing', () => {
  it.each([
    ['128', 12800n], ['128.5', 12850n], ['128.05', 12805n], ['1,280.00', 128000n], ['0.01', 1n],
    ['', undefined], ['12.345', undefined], ['-1', undefined], ['1e3', undefined],
  ])('price %s yuan is %s fen', (text, want) => {
    expect(parseYuan(text)).toBe(want)
  })
  it('reads studios one per line, id then name', () => {
    const s = parseStudios('studio-1 一号直播间\n\n  studio-2   二号 直播间 \nstudio-3')
    expect(s).toEqual([
      { studioId: 'studio-1', displayName: '一号直播间' },
      { studioId: 'studio-2', displayName: '二号 直播间' },
      { studioId: 'studio-3', displayName: 'studio-3' },
    ])
    expect(studiosText({ studios: s })).toBe('studio-1 一号直播间\nstudio-2 二号 直播间\nstudio-3 studio-3')
  })
  it('proposes a start the scheduler accepts: a five-minute mark at least a minute ahead', () => {
    expect(nextStart(new Date('2026-12-01T09:00:00Z')).toISOString()).toBe('2026-12-01T09:05:00.000Z')
    expect(nextStart(new Date('2026-12-01T09:03:59Z')).toISOString()).toBe('2026-12-01T09:05:00.000Z')
    expect(nextStart(new Date('2026-12-01T09:04:01Z')).toISOString()).toBe('2026-12-01T09:10:00.000Z')
  })
})
