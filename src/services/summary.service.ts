import type { Principal } from '../core/principal.js';
import type { MessageService } from './message.service.js';
import type { SessionService } from './session.service.js';
import { type SessionSummary, SummaryBuilder } from './summary/extract-summary.js';

export type { SessionSummary };

/** Session summaries, extractive and offline: read the messages once, a page at a time, and fold them. */
export class SummaryService {
  constructor(
    private readonly sessions: SessionService,
    private readonly messages: MessageService,
  ) {}

  async summarize(principal: Principal, sessionId: string): Promise<SessionSummary> {
    const session = await this.sessions.get(principal, sessionId);
    const builder = new SummaryBuilder(session);
    for await (const message of this.messages.all(principal, session.id)) builder.add(message);
    return builder.build();
  }
}
