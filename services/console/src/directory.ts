// Names the API gives as codes (districts) looked up once per page load.

import { useEffect, useState } from 'react'
import { api } from './session'
import type { District } from './api/types'

let districts: Promise<District[]> | undefined

export function loadDistricts(): Promise<District[]> {
  if (!districts) {
    districts = api.listDistricts().catch((e: unknown) => {
      districts = undefined // try again next time
      throw e
    })
  }
  return districts
}

/** useDistricts gives the district list and a code -> name lookup (the code itself until it loads). */
export function useDistricts(): { list: District[]; name: (code: string | undefined) => string } {
  const [list, setList] = useState<District[]>([])
  useEffect(() => {
    let live = true
    loadDistricts().then((d) => live && setList(d), () => {})
    return () => {
      live = false
    }
  }, [])
  const byCode = new Map(list.map((d) => [d.code ?? '', d.displayName ?? '']))
  return { list, name: (code) => (code ? byCode.get(code) || code : '') }
}
