import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react'
import type { Cycle, Me, Objective, Team, User } from '../api/types'
import { useCycle, useTeams, useUsers } from '../api/queries'
import { isCycleId } from '../lib/cycle'

export interface AppState {
  me: Me
  isAdmin: boolean
  /** Writes at all: everyone but guests (org role `guest`), who read everything and change nothing. */
  canWrite: boolean
  users: Map<number, User>
  teams: Team[]
  teamsById: Map<number, Team>
  currentCycle: Cycle | undefined
  nextCycle: Cycle | undefined
  /** The cycle shown: the page's own (a cycle in its URL), else the one chosen in the top bar, else the current one. */
  cycleId: string
  /** The top bar's choice; kept for the tab's session. */
  setCycleId: (id: string) => void
  setPageCycle: (id: string | null) => void
  userName: (id: number | null | undefined) => string
  canEditTeam: (teamId: number) => boolean
  canApprove: (obj: Pick<Objective, 'team_id' | 'owner_id'>) => boolean
  homeTeamId: number | undefined
}

const Ctx = createContext<AppState | null>(null)
const CYCLE_KEY = 'boost.cycle'

export function AppProvider({ me, children }: { me: Me; children: ReactNode }) {
  const current = useCycle('current')
  const next = useCycle('next')
  const usersQ = useUsers()
  const teamsQ = useTeams()
  const [chosen, setChosen] = useState<string | null>(() => {
    try {
      const s = sessionStorage.getItem(CYCLE_KEY)
      return isCycleId(s) ? s : null
    } catch {
      return null
    }
  })
  const [pageCycle, setPageCycle] = useState<string | null>(null)
  const setCycleId = useCallback((id: string) => {
    setChosen(id)
    try {
      sessionStorage.setItem(CYCLE_KEY, id)
    } catch {
      /* ignore */
    }
  }, [])

  const value = useMemo<AppState>(() => {
    const users = new Map<number, User>()
    for (const u of usersQ.data ?? []) users.set(u.id, u)
    users.set(me.user.id, { ...users.get(me.user.id), ...me.user })
    const teams = teamsQ.data ?? []
    const teamsById = new Map(teams.map((t) => [t.id, t]))
    const isAdmin = me.user.role === 'admin'
    const canWrite = me.user.role !== 'guest'
    const myTeamIds = new Set(me.teams.map((t) => t.id))
    const leadOf = new Set(me.teams.filter((t) => t.role === 'lead').map((t) => t.id))
    for (const t of teams) {
      const m = t.members?.find((x) => x.user_id === me.user.id)
      if (m) {
        myTeamIds.add(t.id)
        if (m.role === 'lead') leadOf.add(t.id)
      }
    }
    const cycleId = pageCycle ?? chosen ?? current.data?.id ?? ''
    // The team people work in most: the first non-root team they belong to.
    const rootIds = new Set(teams.filter((t) => t.parent_id === null).map((t) => t.id))
    const homeTeamId = me.teams.find((t) => !rootIds.has(t.id))?.id ?? me.teams[0]?.id
    return {
      me,
      isAdmin,
      canWrite,
      users,
      teams,
      teamsById,
      currentCycle: current.data,
      nextCycle: next.data,
      cycleId,
      setCycleId,
      setPageCycle,
      userName: (id) => (id === null || id === undefined ? '' : users.get(id)?.name ?? `#${id}`),
      canEditTeam: (teamId) => canWrite && (isAdmin || myTeamIds.has(teamId)),
      canApprove: (obj) => {
        if (!canWrite) return false
        if (isAdmin) return true
        if (obj.owner_id === me.user.id) return false
        const team = teamsById.get(obj.team_id)
        return !!team && team.parent_id !== null && leadOf.has(team.parent_id)
      },
      homeTeamId,
    }
  }, [me, usersQ.data, teamsQ.data, chosen, pageCycle, current.data, next.data, setCycleId])

  return <Ctx.Provider value={value}>{children}</Ctx.Provider>
}

export function useApp(): AppState {
  const ctx = useContext(Ctx)
  if (!ctx) throw new Error('useApp outside AppProvider')
  return ctx
}

/** A page that shows one cycle (from its URL) makes the top bar show it, without changing the choice. */
export function usePageCycle(id: string | null | undefined): void {
  const { setPageCycle } = useApp()
  useEffect(() => {
    if (!id) return
    setPageCycle(id)
    return () => setPageCycle(null)
  }, [id, setPageCycle])
}
