/**
 * The numbers behind every derived figure and the text merge, read from the same file okr
 * reads (libs/contracts/src/boost_contracts/rules/rules.json). okr decides progress, health,
 * behind and stale and sends them in every entity and event; the web app computes them only
 * optimistically (right after a click), with these rules, checked against the server's own
 * answers in rules.test.ts (the shared vectors in cases.json).
 */
import raw from '../../../../libs/contracts/src/boost_contracts/rules/rules.json'

export type HealthName = 'on_track' | 'at_risk' | 'off_track' | 'unknown'

export const RULES = {
  booleanDoneFrom: raw.progress.boolean_done_from,
  onTrackFrom: raw.health.on_track_from,
  atRiskFrom: raw.health.at_risk_from,
  healthWorstFirst: raw.health.worst_first as HealthName[],
  wholeNumbersFromRange: raw.display.whole_numbers_from_range,
  tenthsFromRange: raw.display.tenths_from_range,
  maxDecimals: raw.display.max_decimals,
  dashboardMaxLagSeconds: raw.dashboard.max_lag_seconds,
  merge: {
    matchThreshold: raw.merge.match_threshold,
    patchDeleteThreshold: raw.merge.patch_delete_threshold,
    diffTimeoutSeconds: raw.merge.diff_timeout_seconds,
  },
} as const
