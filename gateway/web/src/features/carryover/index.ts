export { CarryOverButton } from './CarryOverButton'
