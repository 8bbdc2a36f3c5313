// What a signed-in key may do, as the console shows it. The services decide
// (every call is checked there); this only hides what would be refused, and
// follows the rules of the README's "Who may do what".

import type { CallerIdentity, Member, MemberKind, Session } from './api/types'
import { baseOfStudio } from './api/api'

export interface Caps {
  /** An admin key, or a staff key with the ADMIN role: may do everything. */
  admin: boolean
  /** A staff key that may read everything and change nothing. */
  readOnly: boolean
  /** members/{m} for a member's key. */
  member: string
  memberKind: MemberKind | ''
}

export function capsOf(id: CallerIdentity): Caps {
  const staffAdmin = id.kind === 'CALLER_KIND_STAFF' && id.role === 'ADMIN'
  return {
    admin: id.kind === 'CALLER_KIND_ADMIN' || id.kind === 'CALLER_KIND_SERVICE' || staffAdmin,
    readOnly: id.kind === 'CALLER_KIND_STAFF' && !staffAdmin,
    member: id.kind === 'CALLER_KIND_MEMBER' ? (id.member ?? '') : '',
    memberKind: id.kind === 'CALLER_KIND_MEMBER' ? (id.memberKind ?? '') : '',
  }
}

/** Create members, suspend and reinstate them, issue keys. */
export const mayAdminister = (c: Caps) => c.admin

/** Edit a member's profile: admins, and the member itself. */
export const mayEditMember = (c: Caps, member: string) => c.admin || (c.member !== '' && c.member === member)

/** Add and edit a merchant's products: admins, and the merchant itself. */
export const mayEditProducts = (c: Caps, merchant: Member) =>
  merchant.kind === 'MEMBER_KIND_MERCHANT' && mayEditMember(c, merchant.name ?? '')

/** See and revoke a member's keys: admins, and the member itself. */
export const mayManageKeys = (c: Caps, member: string) => mayEditMember(c, member)

/** Book sessions at all: admins, bases, agencies and hosts. */
export const mayBook = (c: Caps) =>
  c.admin || c.memberKind === 'MEMBER_KIND_BASE' || c.memberKind === 'MEMBER_KIND_AGENCY' || c.memberKind === 'MEMBER_KIND_HOST'

/** Book into a studio: a base only into its own; hosts and agencies into any ACTIVE base's. */
export const mayBookStudio = (c: Caps, studio: string) =>
  c.admin || (c.memberKind === 'MEMBER_KIND_BASE' ? baseOfStudio(studio) === c.member : mayBook(c))

/** Start, end or cancel a session: admins and its parties (its base, its host, the host's agency). */
export function mayRunSession(c: Caps, s: Session, hostAgency = ''): boolean {
  if (c.admin) return true
  if (!c.member) return false
  return s.host === c.member || baseOfStudio(s.studio) === c.member || (hostAgency !== '' && hostAgency === c.member)
}

/** Approve or decline a request waiting for approval: admins and the studio's base. */
export function mayApprove(c: Caps, s: Session): boolean {
  return c.admin || (c.memberKind === 'MEMBER_KIND_BASE' && baseOfStudio(s.studio) === c.member)
}

/** Read a session's sales: admins, its parties, a featured merchant, the district office of its base. */
export function mayReadSales(c: Caps, s: Session, hostAgency = '', baseDistrict = '', officeDistrict = ''): boolean {
  if (c.admin || c.readOnly) return true
  if (mayRunSession(c, s, hostAgency)) return true
  if (c.member && (s.merchants ?? []).includes(c.member)) return true
  return c.memberKind === 'MEMBER_KIND_DISTRICT_OFFICE' && baseDistrict !== '' && baseDistrict === officeDistrict
}
