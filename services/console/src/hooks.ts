// Small hooks for loading data: one call per page state, cancelled when the
// page moves on, and polling that stops when the page is hidden or left.

import { useCallback, useEffect, useRef, useState } from 'react'
import { ApiError } from './api/client'

export interface Loaded<T> {
  data: T | undefined
  error: unknown
  loading: boolean
  /** Load again, keeping the shown data until the answer comes. */
  reload: () => void
}

/** useLoad runs load whenever deps change; a stale answer (deps changed meanwhile) is dropped. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true })
  const [tick, setTick] = useState(0)
  const seq = useRef(0)
  useEffect(() => {
    const mine = ++seq.current
    setState((s) => ({ ...s, loading: true }))
    load().then(
      (data) => { if (seq.current === mine) setState({ data, loading: false }) },
      (error: unknown) => { if (seq.current === mine) setState((s) => ({ data: s.data, error, loading: false })) },
    )
  }, [...deps, tick])
  const reload = useCallback(() => setTick((t) => t + 1), [])
  return { data: state.data, error: state.error, loading: state.loading, reload }
}

/** useInterval calls fn every ms while enabled and the tab is visible. */
export function useInterval(fn: () => void, ms: number, enabled: boolean) {
  const saved = useRef(fn)
  saved.current = fn
  useEffect(() => {
    if (!enabled) return
    const id = window.setInterval(() => {
      if (document.visibilityState !== 'hidden') saved.current()
    }, ms)
    return () => window.clearInterval(id)
  }, [ms, enabled])
}

/** usePoll reloads l every ms while enabled, and stops for good once the key is refused. */
export function usePoll<T>(l: Loaded<T>, ms: number, enabled: boolean) {
  const refused = l.error instanceof ApiError && l.error.refused
  useInterval(l.reload, ms, enabled && !refused)
}
