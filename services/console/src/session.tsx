// Who is signed in. The key lives in sessionStorage: this tab only, gone
// when the tab closes, never sent anywhere but the gateway's /v1/ routes.

import { createContext, useContext } from 'react'
import { Api } from './api/api'
import { Client, type ApiError } from './api/client'
import type { CallerIdentity } from './api/types'
import { capsOf, type Caps } from './caps'

const STORAGE_KEY = 'alliance.console.apiKey'

export function storedKey(): string {
  try {
    return window.sessionStorage.getItem(STORAGE_KEY) ?? ''
  } catch {
    return ''
  }
}

export function storeKey(key: string) {
  try {
    if (key) window.sessionStorage.setItem(STORAGE_KEY, key)
    else window.sessionStorage.removeItem(STORAGE_KEY)
  } catch {
    // Storage refused (a private window's quota): the key then lasts as long as the page.
  }
}

let memoryKey = storedKey()
const listeners = new Set<(e: ApiError) => void>()

export const api = new Api(
  new Client({
    key: () => memoryKey,
    onUnauthenticated: (e) => listeners.forEach((l) => l(e)),
  }),
)

export function setKey(key: string) {
  memoryKey = key
  storeKey(key)
}

export function onUnauthenticated(l: (e: ApiError) => void): () => void {
  listeners.add(l)
  return () => listeners.delete(l)
}

export interface SignedIn {
  identity: CallerIdentity
  caps: Caps
  signOut: () => void
}

export const SessionContext = createContext<SignedIn>({
  identity: {},
  caps: capsOf({}),
  signOut: () => {},
})

export function useSignedIn(): SignedIn {
  return useContext(SessionContext)
}
