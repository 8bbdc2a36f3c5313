// The shell: signing in, the navigation, the language switch, the
// services' health, and which page the address names.

import { useEffect, useMemo, useState } from 'react'
import type { CallerIdentity } from './api/types'
import { ApiError } from './api/client'
import { I18nContext, initialLang, makeI18n, storeLang, useI18n, type Lang } from './i18n'
import { SessionContext, api, onUnauthenticated, setKey, storedKey, useSignedIn } from './session'
import { capsOf } from './caps'
import { Link, useLocation } from './router'
import { ErrorBox, Loading, useWho } from './components/ui'
import { useInterval } from './hooks'
import { SignIn } from './pages/SignIn'
import { Overview } from './pages/Overview'
import { Leaderboards } from './pages/Leaderboards'
import { Schedule } from './pages/Schedule'
import { SessionPage } from './pages/Session'
import { Members } from './pages/Members'
import { MemberPage } from './pages/Member'
import { Reports } from './pages/Reports'

type Auth =
  | { state: 'checking' }
  | { state: 'out'; reason?: string }
  | { state: 'in'; identity: CallerIdentity }
  | { state: 'failed'; error: unknown }

export function App() {
  const [lang, setLangState] = useState<Lang>(initialLang)
  const i18n = useMemo(() => makeI18n(lang, (l) => { storeLang(l); setLangState(l) }), [lang])
  useEffect(() => {
    document.documentElement.lang = lang
    document.title = i18n.t('app.title')
  }, [lang, i18n])

  const [auth, setAuth] = useState<Auth>(() => (storedKey() ? { state: 'checking' } : { state: 'out' }))
  const check = () => {
    api.getCaller().then(
      (identity) => setAuth({ state: 'in', identity }),
      (error: unknown) => {
        if (error instanceof ApiError && error.code === 'UNAUTHENTICATED') {
          setKey('')
          setAuth({ state: 'out', reason: i18n.t('auth.keyRefused') })
        } else {
          setAuth({ state: 'failed', error })
        }
      },
    )
  }
  useEffect(() => {
    if (auth.state === 'checking') check()
  }, [])
  // A key revoked while in use: every page's next call is 401; go back to signing in.
  useEffect(() => onUnauthenticated(() => {
    setKey('')
    setAuth({ state: 'out', reason: i18n.t('auth.keyRefused') })
  }), [i18n])

  // Signing out forgets the key and reloads the page, so nothing the key
  // could read stays in memory either.
  const signOut = () => {
    setKey('')
    window.location.assign('/')
  }
  const session = useMemo(() => {
    const identity = auth.state === 'in' ? auth.identity : {}
    return { identity, caps: capsOf(identity), signOut }
  }, [auth])

  return (
    <I18nContext.Provider value={i18n}>
      <SessionContext.Provider value={session}>
        {auth.state === 'checking' && <Loading />}
        {auth.state === 'failed' && <main className="signin"><ErrorBox error={auth.error} /><button type="button" onClick={() => { setAuth({ state: 'checking' }); check() }}>{i18n.t('common.retry')}</button> <button type="button" onClick={signOut}>{i18n.t('auth.signOut')}</button></main>}
        {auth.state === 'out' && (
          <>
            <LangSwitch />
            <SignIn reason={auth.reason} onSignedIn={(key, identity) => { setKey(key); setAuth({ state: 'in', identity }) }} />
          </>
        )}
        {auth.state === 'in' && <Shell />}
      </SessionContext.Provider>
    </I18nContext.Provider>
  )
}

function LangSwitch() {
  const { lang, setLang, t } = useI18n()
  const other: Lang = lang === 'zh-CN' ? 'en' : 'zh-CN'
  return (
    <button type="button" className="lang" onClick={() => setLang(other)} lang={other} data-testid="lang-switch" aria-label={t('app.switchLanguage')}>
      {other === 'en' ? 'English' : '中文'}
    </button>
  )
}

const NAV = [
  { to: '/', key: 'nav.overview' },
  { to: '/leaderboards', key: 'nav.leaderboards' },
  { to: '/schedule', key: 'nav.schedule' },
  { to: '/members', key: 'nav.members' },
  { to: '/reports', key: 'nav.reports' },
] as const

function Shell() {
  const { t } = useI18n()
  const loc = useLocation()
  const who = useWho()
  const screen = loc.path === '/' && loc.query.get('screen') === '1'
  const active = (to: string) => (to === '/' ? loc.path === '/' : loc.path.startsWith(to) || (to === '/schedule' && loc.path.startsWith('/sessions/')))
  return (
    <div className={screen ? 'app app-screen' : 'app'}>
      {!screen && (
        <header className="topbar">
          <span className="brand">{t('app.title')}</span>
          <nav aria-label={t('nav.label')}>
            {NAV.map((n) => (
              <Link key={n.to} to={n.to} className={active(n.to) ? 'active' : ''} aria-current={active(n.to) ? 'page' : undefined}>{t(n.key)}</Link>
            ))}
            <a href="/docs/">{t('nav.api')}</a>
          </nav>
          <div className="who">
            <Health />
            <span data-testid="who">{who}</span>
            <LangSwitch />
            <SignOut />
          </div>
        </header>
      )}
      <main id="main">
        <Page />
      </main>
      {!screen && <footer>{t('tz.note')}</footer>}
    </div>
  )
}

function SignOut() {
  const { t } = useI18n()
  const { signOut } = useSignedIn()
  return <button type="button" onClick={signOut} data-testid="sign-out">{t('auth.signOut')}</button>
}

/** The services' readiness from the gateway's /readyz, every 15 s: a service down is named. */
function Health() {
  const { t } = useI18n()
  const [down, setDown] = useState<string[] | 'gateway' | undefined>()
  const poll = () => {
    fetch('/readyz', { cache: 'no-store' }).then(
      (r) => r.json().then((b: { down?: string[] }) => setDown(r.ok ? [] : (b.down ?? ['?'])), () => setDown('gateway')),
      () => setDown('gateway'),
    )
  }
  useEffect(poll, [])
  useInterval(poll, 15_000, true)
  if (down === undefined || (Array.isArray(down) && down.length === 0)) return null
  return (
    <span className="health-down" role="alert" data-testid="health">
      {down === 'gateway' ? t('err.network') : t('health.down', { services: down.join(', ') })}
    </span>
  )
}

function Page() {
  const { t } = useI18n()
  const { path } = useLocation()
  const parts = path.split('/').filter(Boolean)
  switch (true) {
    case parts.length === 0:
      return <Overview />
    case parts[0] === 'leaderboards' && parts.length === 1:
      return <Leaderboards />
    case parts[0] === 'schedule' && parts.length === 1:
      return <Schedule />
    case parts[0] === 'sessions' && parts.length === 2:
      return <SessionPage name={'sessions/' + parts[1]} />
    case parts[0] === 'members' && parts.length === 1:
      return <Members />
    case parts[0] === 'members' && parts.length === 2:
      return <MemberPage name={'members/' + parts[1]} />
    case parts[0] === 'reports' && parts.length === 1:
      return <Reports />
  }
  return (
    <section>
      <h1>{t('app.notFound')}</h1>
      <p><Link to="/">{t('nav.overview')}</Link></p>
    </section>
  )
}
