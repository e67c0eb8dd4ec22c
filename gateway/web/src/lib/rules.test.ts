import { describe, expect, it } from 'vitest'
import cases from '../../../../libs/contracts/src/boost_contracts/rules/cases.json'
import type { Health, KrKind } from '../api/types'
import { merge3 } from '../live/merge'
import { decimalsFor, healthFromConfidence, krProgress, objectiveRollUp } from './progress'

// The server's answers for hand-made inputs (okr's half: services/okr/tests/test_rules.py).
describe('the web app computes what okr computes', () => {
  it.each(cases.key_results)('progress of a $kind key result at $current', (c) => {
    const items = c.items.map((i, n) => ({ id: n + 1, title: `item ${n + 1}`, done: i.done }))
    const kr = { kind: c.kind as KrKind, start: c.start, target: c.target, current: c.current, items }
    expect(Math.round(krProgress(kr) * 10000) / 10000).toBe(c.progress)
  })

  it.each(cases.health)('health at confidence $confidence', (c) => {
    expect(healthFromConfidence(c.confidence)).toBe(c.health)
  })

  it.each(cases.objectives)('an objective rolled up from its key results (%#)', (c) => {
    const krs = c.key_results.map((k) => ({ progress: k.progress, weight: k.weight, health: k.health as Health }))
    expect(objectiveRollUp(krs)).toEqual({ progress: c.progress, health: c.health })
  })

  it.each(cases.decimals)('decimals of a $kind key result from $start to $target', (c) => {
    expect(decimalsFor({ kind: c.kind as KrKind, start: c.start, target: c.target })).toBe(c.decimals)
  })

  it.each(cases.merge)('merges "$mine" into "$theirs"', (c) => {
    // the web's merge3(base, remote, local) applies base→remote to local; okr's applies base→mine to theirs
    expect(merge3(c.base, c.mine, c.theirs)).toBe(c.merged)
  })
})
