import type { Entity, EditOp, Transport } from './editStore'

/**
 * One edit store for every kind of shared text, each entity sent its own way: objectives
 * and key results over the socket (`edit`), feedback over REST (`PATCH` with version and
 * base). Connected means the app is online: the socket's state is the app's.
 */
export function routeByEntity(online: Transport, routes: Partial<Record<Entity, Transport>>): Transport {
  return {
    isConnected: () => online.isConnected(),
    send: (op: EditOp) => (routes[op.entity] ?? online).send(op),
  }
}
