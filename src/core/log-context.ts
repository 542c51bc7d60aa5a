import { AsyncLocalStorage } from 'node:async_hooks';

/** What every log line written while handling one request or job carries, where it is known. */
export interface LogFields {
  reqId?: string;
  tenant?: string;
  sessionId?: string;
  jobId?: string;
}

const storage = new AsyncLocalStorage<LogFields>();

/** Runs `fn` with `fields` added to the log fields around it (theirs are kept unless named again). */
export function withLogContext<T>(fields: LogFields, fn: () => T): T {
  return storage.run({ ...storage.getStore(), ...definedOnly(fields) }, fn);
}

/** Adds fields learnt along the way (the tenant once authenticated) to the current request's or job's log fields. */
export function addLogContext(fields: LogFields): void {
  const store = storage.getStore();
  if (store) Object.assign(store, definedOnly(fields));
}

/** The log fields of the current request or job; empty outside one. */
export function currentLogFields(): LogFields {
  return storage.getStore() ?? {};
}

function definedOnly(fields: LogFields): LogFields {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined && v !== null && v !== ''));
}
