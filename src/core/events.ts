import { EventEmitter } from 'node:events';

/** What happened, for whoever listens (graphile-worker style): the composition root wires listeners once. */
export interface AppEventMap {
  /** Rows were committed to the outbox (a write, a reconciler or scheduler pass): the relay publishes them now. */
  'outbox:added': [];
}

/** The application's typed event bus; one per application, built by the composition root. */
export class AppEvents extends EventEmitter<AppEventMap> {}
