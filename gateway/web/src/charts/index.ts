import { lazy } from 'react'

// recharts stays out of the first bundle: charts load when a page shows one.
export const KrChart = lazy(() => import('./KrChart'))
export const ProgressChart = lazy(() => import('./ProgressChart'))
