export { ForecastMarker } from './ForecastMarker'
export { chartRows, forecastPercent, type ChartRow, type Forecast } from './forecast'
export { LikelyToMiss } from './LikelyToMiss'
export { CalibrationPanel } from './Calibration'
