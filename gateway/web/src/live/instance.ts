import { EditStore } from './editStore'
import { live } from './socket'

/** The tab's edit store, sending through the tab's socket. */
export const editStore = new EditStore({ transport: live })
export { live }
