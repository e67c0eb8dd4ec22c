import { describe, expect, it } from 'vitest'
import type { Objective } from '../../api/types'
import { hintSignature } from './hints'

const obj = (title: string, deleted = false) =>
  ({ id: 1, key_results: [{ id: 5, title, kind: 'number', start: 0, target: 10, last_check_in_at: null, deleted }] }) as unknown as Objective

describe('hint signature', () => {
  it('changes when a key result title changes, so the hints are fetched again', () => {
    expect(hintSignature(obj('Revenue'))).not.toEqual(hintSignature(obj('Launch the app')))
  })
  it('leaves deleted key results out', () => {
    expect(hintSignature(obj('Revenue', true))).toEqual('[]')
  })
})
