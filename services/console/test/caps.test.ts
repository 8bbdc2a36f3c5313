import { describe, expect, it } from 'vitest'
import { capsOf, mayAdminister, mayBook, mayBookStudio, mayEditMember, mayEditProducts, mayManageKeys, mayRunSession, mayApprove } from '../src/caps'

const admin = capsOf({ kind: 'CALLER_KIND_ADMIN' })
const base = capsOf({ kind: 'CALLER_KIND_MEMBER', member: 'members/b', memberKind: 'MEMBER_KIND_BASE' })
const host = capsOf({ kind: 'CALLER_KIND_MEMBER', member: 'members/h', memberKind: 'MEMBER_KIND_HOST' })
const agency = capsOf({ kind: 'CALLER_KIND_MEMBER', member: 'members/ag', memberKind: 'MEMBER_KIND_AGENCY' })
const merchant = capsOf({ kind: 'CALLER_KIND_MEMBER', member: 'members/m', memberKind: 'MEMBER_KIND_MERCHANT' })
const staffAdmin = capsOf({ kind: 'CALLER_KIND_STAFF', role: 'ADMIN', displayName: 'ops' })
const readOnly = capsOf({ kind: 'CALLER_KIND_STAFF', role: 'STAFF_READONLY', displayName: 'analyst' })
const session = { name: 'sessions/s', host: 'members/h', studio: 'members/b/studios/s1', merchants: ['members/m'] }

describe('what the console offers a key', () => {
  it('admin actions are for admins and ADMIN staff only', () => {
    expect([admin, staffAdmin, readOnly, base, host, agency, merchant].map(mayAdminister)).toEqual([true, true, false, false, false, false, false])
  })
  it('a member edits only itself; admins edit anyone', () => {
    expect(mayEditMember(merchant, 'members/m')).toBe(true)
    expect(mayEditMember(merchant, 'members/other')).toBe(false)
    expect(mayEditMember(admin, 'members/other')).toBe(true)
    expect(mayEditMember(readOnly, 'members/other')).toBe(false)
  })
  it('products are edited by their merchant', () => {
    const m = { name: 'members/m', kind: 'MEMBER_KIND_MERCHANT' as const }
    expect(mayEditProducts(merchant, m)).toBe(true)
    expect(mayEditProducts(host, m)).toBe(false)
    expect(mayEditProducts(admin, { name: 'members/h', kind: 'MEMBER_KIND_HOST' })).toBe(false)
  })
  it('keys are seen by admins and the member itself', () => {
    expect(mayManageKeys(host, 'members/h')).toBe(true)
    expect(mayManageKeys(host, 'members/m')).toBe(false)
  })
  it('bases, agencies and hosts book; merchants and district offices do not', () => {
    expect([admin, base, host, agency, merchant].map(mayBook)).toEqual([true, true, true, true, false])
    expect(mayBook(capsOf({ kind: 'CALLER_KIND_MEMBER', member: 'members/o', memberKind: 'MEMBER_KIND_DISTRICT_OFFICE' }))).toBe(false)
  })
  it('a base books only its own studios; a host any base\'s', () => {
    expect(mayBookStudio(base, 'members/b/studios/s1')).toBe(true)
    expect(mayBookStudio(base, 'members/other/studios/s1')).toBe(false)
    expect(mayBookStudio(host, 'members/other/studios/s1')).toBe(true)
  })
  it('a session is run by its parties: base, host, the host\'s agency', () => {
    expect(mayRunSession(base, session)).toBe(true)
    expect(mayRunSession(host, session)).toBe(true)
    expect(mayRunSession(agency, session, 'members/ag')).toBe(true)
    expect(mayRunSession(agency, session, 'members/another')).toBe(false)
    expect(mayRunSession(merchant, session)).toBe(false)
    expect(mayRunSession(admin, session)).toBe(true)
  })
  it('a request waiting for approval is approved by its studio\'s base or an admin, not by its host or agency', () => {
    expect([admin, staffAdmin, readOnly, base, host, agency, merchant].map((c) => mayApprove(c, session))).toEqual([true, true, false, true, false, false, false])
    expect(mayApprove(base, { ...session, studio: 'members/other/studios/s1' })).toBe(false)
  })
})
