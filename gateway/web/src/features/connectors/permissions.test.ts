import { describe, expect, it } from 'vitest'
import { canBind } from './permissions'

const me = (id: number, role: 'admin' | 'member', teams: { id: number; role: 'member' | 'lead' }[] = []) =>
  ({ isAdmin: role === 'admin', me: { user: { id, role }, teams }, teamsById: new Map() }) as unknown as Parameters<typeof canBind>[0]

describe('who may connect a key result to data', () => {
  it('lets its owner, a lead of its team and an admin, and nobody else', () => {
    const kr = { owner_id: 7 }
    expect(canBind(me(7, 'member'), kr, 3)).toBe(true)
    expect(canBind(me(8, 'member', [{ id: 3, role: 'lead' }]), kr, 3)).toBe(true)
    expect(canBind(me(9, 'admin'), kr, 3)).toBe(true)
    expect(canBind(me(8, 'member', [{ id: 3, role: 'member' }]), kr, 3)).toBe(false)
    expect(canBind(me(8, 'member', [{ id: 4, role: 'lead' }]), kr, 3)).toBe(false)
    expect(canBind(me(8, 'member', [{ id: 3, role: 'lead' }]), kr, undefined)).toBe(false)
  })
})
