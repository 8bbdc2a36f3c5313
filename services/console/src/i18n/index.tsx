// Two languages: Chinese (zh-CN, the default) and English. Each dictionary
// has every key of the Chinese one, checked by the compiler.

import { createContext, useContext } from 'react'
import { zh, type Key } from './zh'
import { en } from './en'

export type Lang = 'zh-CN' | 'en'
export const LANGS: Lang[] = ['zh-CN', 'en']

const dicts: Record<Lang, Record<Key, string>> = { 'zh-CN': zh, en }
const LANG_KEY = 'alliance.console.lang'

export type Vars = Record<string, string | number>
export type T = (key: Key, vars?: Vars) => string

function fill(s: string, vars?: Vars): string {
  if (!vars) return s
  return s.replace(/\{(\w+)\}/g, (m, k: string) => (k in vars ? String(vars[k]) : m))
}

export function translate(lang: Lang, key: Key, vars?: Vars): string {
  return fill(dicts[lang][key] ?? zh[key] ?? key, vars)
}

/** A label for a value the API may extend later (an enum, a reason): the raw value when there is none. */
export function translateOr(lang: Lang, key: string, fallback: string, vars?: Vars): string {
  const d = dicts[lang] as Record<string, string>
  const s = d[key] ?? (zh as Record<string, string>)[key]
  return s === undefined ? fallback : fill(s, vars)
}

export function initialLang(): Lang {
  try {
    const v = window.localStorage.getItem(LANG_KEY)
    if (v === 'en' || v === 'zh-CN') return v
  } catch {
    // no storage: the default
  }
  return 'zh-CN'
}

export function storeLang(l: Lang) {
  try {
    window.localStorage.setItem(LANG_KEY, l)
  } catch {
    // the choice then lasts as long as the page
  }
  document.documentElement.lang = l
}

export interface I18n {
  lang: Lang
  setLang: (l: Lang) => void
  t: T
  /** Enum and reason labels, falling back to the value itself. */
  label: (group: string, value: string | undefined) => string
}

export function makeI18n(lang: Lang, setLang: (l: Lang) => void): I18n {
  return {
    lang,
    setLang,
    t: (key, vars) => translate(lang, key, vars),
    label: (group, value) => {
      if (!value) return ''
      return translateOr(lang, group + '.' + value, value)
    },
  }
}

export const I18nContext = createContext<I18n>(makeI18n('zh-CN', () => {}))

export function useI18n(): I18n {
  return useContext(I18nContext)
}

export type { Key }
