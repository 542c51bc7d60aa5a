import type { AnalyticsReads } from './analytics.service.js';
import type { AuthService } from './auth.service.js';
import type { CodeGraphService } from './code-graph.service.js';
import type { DeadLetterService } from './dead-letter.service.js';
import type { ExportService } from './export.service.js';
import type { HealthService } from './health.service.js';
import type { HistoryImportService } from './history-import.service.js';
import type { LifecycleService } from './lifecycle.service.js';
import type { MessageService } from './message.service.js';
import type { PatternService } from './pattern.service.js';
import type { QualityService } from './quality.service.js';
import type { RateLimiter } from './rate-limit.service.js';
import type { ReflectionService } from './reflection.service.js';
import type { ReflectionTransferService } from './reflection-transfer.service.js';
import type { SearchService } from './search.service.js';
import type { SessionService } from './session.service.js';
import type { SnapshotService } from './snapshots/snapshot.service.js';
import type { SummaryService } from './summary.service.js';
import type { SyncService } from './sync.service.js';

/** Every service, built once by the composition root and handed to each front door. */
export interface Services {
  sessions: SessionService;
  messages: MessageService;
  exports: ExportService;
  health: HealthService;
  auth: AuthService;
  deadLetters: DeadLetterService;
  reflections: ReflectionService;
  search: SearchService;
  patterns: PatternService;
  transfer: ReflectionTransferService;
  history: HistoryImportService;
  summaries: SummaryService;
  analytics: AnalyticsReads;
  lifecycle: LifecycleService;
  codeGraphs: CodeGraphService;
  quality: QualityService;
  /** The Akosha sync: sync_now, sync_status. */
  sync: SyncService;
  /** Per-principal call budget, taken by the operation runner (`admit`). */
  rateLimits: RateLimiter;
  /** Snapshots of the primary store (operator use). */
  snapshots: SnapshotService;
}
