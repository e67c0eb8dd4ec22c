export { ObjectiveHints } from './ObjectiveHints'
export { hintSignature } from './hints'
