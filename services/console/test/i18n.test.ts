import { describe, expect, it } from 'vitest'
import { zh } from '../src/i18n/zh'
import { en } from '../src/i18n/en'
import { translate, translateOr } from '../src/i18n'

const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort()

describe('the two languages', () => {
  it('English has every Chinese key, none empty, with the same placeholders', () => {
    for (const [k, v] of Object.entries(zh)) {
      const e = (en as Record<string, string>)[k]
      expect(e, k).toBeTruthy()
      expect(placeholders(e!), k).toEqual(placeholders(v))
    }
    expect(Object.keys(en).sort()).toEqual(Object.keys(zh).sort())
  })
  it('fills placeholders', () => {
    expect(translate('zh-CN', 'err.unavailable', { service: 'sales-reporting' })).toContain('sales-reporting')
    expect(translate('en', 'common.page', { n: 3 })).toBe('Page 3')
  })
  it('shows a value the API added later as itself, not as a blank', () => {
    expect(translateOr('en', 'sessionState.SESSION_STATE_ON_HOLD', 'SESSION_STATE_ON_HOLD')).toBe('SESSION_STATE_ON_HOLD')
    expect(translateOr('en', 'sessionState.SESSION_STATE_LIVE', 'x')).toBe('Live')
  })
})
