// The API page: Swagger UI over the gateway's own /openapi/ documents, with
// the Bearer key scheme the documents leave out, so "Authorize" and "Try it
// out" work against this gateway.

import SwaggerUIBundle from 'swagger-ui-dist/swagger-ui-es-bundle.js'
import 'swagger-ui-dist/swagger-ui.css'
import './docs.css'

const KEY_STORAGE = 'alliance.console.apiKey' // the console's key of this tab, if signed in

interface Doc {
  swagger?: string
  info?: { title?: string; description?: string; version?: string }
  securityDefinitions?: Record<string, unknown>
  security?: Record<string, string[]>[]
}

const NAMES: Record<string, string> = {
  'member_registry.swagger.json': 'member-registry · 成员注册',
  'session_scheduler.swagger.json': 'session-scheduling · 场次排期',
  'sales_reporting.swagger.json': 'sales-reporting · 销售报表',
}

/** withBearer adds the key scheme every route needs (Swagger 2.0 has no bearer type, hence apiKey). */
export function withBearer(doc: Doc, title: string): Doc {
  return {
    ...doc,
    info: {
      ...doc.info,
      title,
      version: 'v1',
      description:
        'Every call needs `Authorization: Bearer <key>`: an admin key (data/admin.key of make run) or a member key ' +
        '(issued by an admin with CreateApiKey). A missing or bad key is 401, a key that may not make the call 403. ' +
        'Errors are google.rpc.Status with an ErrorInfo reason. Money is integer minor units (fen); int64 fields are strings.',
    },
    securityDefinitions: {
      bearer: {
        type: 'apiKey', in: 'header', name: 'Authorization',
        description: 'Paste the API key (adm_… or mk_…); "Bearer " is added when missing.',
      },
    },
    security: [{ bearer: [] }],
  }
}

async function main() {
  const select = document.getElementById('doc') as HTMLSelectElement
  const status = document.getElementById('docs-status') as HTMLElement
  let list: string[]
  try {
    const r = await fetch('/openapi/', { cache: 'no-store' })
    list = ((await r.json()) as { documents?: string[] }).documents ?? []
  } catch (e) {
    status.textContent = 'Could not read /openapi/: ' + String(e)
    return
  }
  for (const d of list) {
    const o = document.createElement('option')
    const file = d.slice(d.lastIndexOf('/') + 1)
    o.value = d
    o.textContent = NAMES[file] ?? file
    select.append(o)
  }
  const show = async (url: string) => {
    status.textContent = 'Loading…'
    const doc = (await (await fetch(url, { cache: 'no-store' })).json()) as Doc
    const title = select.selectedOptions[0]?.textContent ?? url
    const ui = SwaggerUIBundle({
      dom_id: '#swagger',
      spec: withBearer(doc, title),
      deepLinking: false,
      persistAuthorization: false,
      requestInterceptor: (req: { headers: Record<string, string> }) => {
        const h = req.headers.Authorization
        if (h && !/^bearer\s/i.test(h)) req.headers.Authorization = 'Bearer ' + h
        return req
      },
    })
    const key = sessionStorage.getItem(KEY_STORAGE)
    if (key) ui.preauthorizeApiKey('bearer', key)
    status.textContent = ''
  }
  select.addEventListener('change', () => void show(select.value))
  if (list[0]) await show(list[0])
}

void main()
