import { describe, expect, it } from 'vitest'
import { changedFields, conflicting, withSeen } from './seen'

describe('forms that send what they saw', () => {
  const loaded = { name: 'Haneul', timezone: 'Asia/Seoul', holidays: ['2027-02-08'], version: 4 }
  it('sends only the changed fields, with the version and the values loaded', () => {
    const changes = changedFields(loaded, { name: 'Haneul Labs', timezone: 'Asia/Seoul', holidays: ['2027-02-08'] })
    expect(changes).toEqual({ name: 'Haneul Labs' })
    expect(withSeen(loaded, changes)).toEqual({ name: 'Haneul Labs', version: 4, base: { name: 'Haneul' } })
  })
  it('names both values of each field in conflict', () => {
    expect(conflicting({ ...loaded, name: 'Sky Labs' }, { name: 'Haneul Labs' })).toEqual([{ field: 'name', theirs: 'Sky Labs', mine: 'Haneul Labs' }])
  })
})
