import { feedbackTransport } from './feedbackTransport'
import { EditStore } from './editStore'
import { routeByEntity } from './routes'
import { live } from './socket'

/** The tab's edit store: objectives and key results through the tab's socket, feedback over REST. */
export const editStore = new EditStore({
  transport: routeByEntity(live, { feedback: feedbackTransport(() => live.isConnected()) }),
})
export { live }
