import { redactUrlPassword } from '../config/url-credentials.js';
import { ConflictError } from '../core/errors.js';
import type { AppEvents } from '../core/events.js';
import type { Principal } from '../core/principal.js';
import type { SyncNowAnswer, SyncStatusAnswer } from '../domain/sync.model.js';
import { akoshaSyncJob } from '../jobs/job-registry.js';
import type { OutboxRepository } from '../repositories/ports.js';
import type { AkoshaSync } from './sync/akosha-sync.js';

/** sync_now within this window (ms) queue one job between them. */
export const SYNC_NOW_WINDOW_MS = 1_000;

export interface SyncServiceOptions {
  enabled: boolean;
  url: string;
}

/** The operator side of the Akosha sync: queue a run now, and tell where it stands. */
export class SyncService {
  constructor(
    private readonly sync: Pick<AkoshaSync, 'status'>,
    private readonly outbox: Pick<OutboxRepository, 'add'>,
    private readonly events: AppEvents,
    private readonly options: SyncServiceOptions,
  ) {}

  /** Queues an `akosha-sync` job through the outbox (a worker runs it); conflict when the sync is off. */
  async syncNow(principal: Principal): Promise<SyncNowAnswer> {
    if (!this.options.enabled) {
      throw new ConflictError(
        'the Akosha sync is off: set sync.akoshaEnabled=true (SESSION_BUDDY_SYNC__AKOSHA_ENABLED)',
      );
    }
    const job = akoshaSyncJob(principal.tenantId, new Date(), SYNC_NOW_WINDOW_MS);
    await this.outbox.add([job]);
    this.events.emit('outbox:added');
    return { queued: true, jobKey: job.key, status: await this.status() };
  }

  async status(): Promise<SyncStatusAnswer> {
    const status = await this.sync.status();
    return { ...status, enabled: this.options.enabled, url: redactUrlPassword(this.options.url) };
  }
}
