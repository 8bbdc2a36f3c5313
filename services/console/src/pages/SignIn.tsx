// Signing in: paste a key; it is checked with GET /v1/caller before it is
// kept, so a wrong key is refused here and not on the first page.

import { useState, type FormEvent } from 'react'
import type { CallerIdentity } from '../api/types'
import { useI18n } from '../i18n'
import { api } from '../session'
import { ErrorBox } from '../components/ui'

export function SignIn(props: { onSignedIn: (key: string, id: CallerIdentity) => void; reason?: string }) {
  const { t } = useI18n()
  const [key, setKey] = useState('')
  const [error, setError] = useState<unknown>()
  const [busy, setBusy] = useState(false)
  const submit = async (e: FormEvent) => {
    e.preventDefault()
    const k = key.trim().replace(/^bearer\s+/i, '')
    setBusy(true)
    setError(undefined)
    try {
      const id = await api.getCaller(k)
      props.onSignedIn(k, id)
    } catch (err) {
      setError(err)
    } finally {
      setBusy(false)
    }
  }
  return (
    <main className="signin" data-testid="signin">
      <form className="panel" onSubmit={submit}>
        <h1>{t('app.title')}</h1>
        {props.reason && <p className="note" role="status">{props.reason}</p>}
        <label htmlFor="api-key">{t('auth.key')}</label>
        <input id="api-key" name="api-key" type="password" autoComplete="off" spellCheck={false} value={key}
          onChange={(e) => setKey(e.target.value)} required placeholder="adm_… / mk_…" autoFocus />
        <p className="note">{t('auth.keyHelp')}</p>
        <p className="note">{t('auth.storage')}</p>
        <button type="submit" className="primary" disabled={busy} data-testid="sign-in">{t('auth.signIn')}</button>
        {error !== undefined && <ErrorBox error={error} title={t('auth.refused')} />}
      </form>
    </main>
  )
}
