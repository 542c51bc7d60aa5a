import { createHash } from 'node:crypto';
import type { Config } from '../../config/config.schema.js';
import { ConflictError } from '../../core/errors.js';
import { uuidv7 } from '../../core/ids.js';
import type { PatternEvidence, PatternKind } from '../../domain/pattern.model.js';
import type { DetectedPatternFields, VectorItem } from '../../repositories/pattern.port.js';
import type { Store } from '../../repositories/ports.js';
import { centroid, dot, leaderClusters, topTerms, unit, yieldToEventLoop } from './clustering.js';
import { errorClass, errorLines } from './error-signature.js';
import { evidenceOf, excerpt, mergeEvidence, mergeExamples, type Occurrence, sessionKey } from './evidence.js';

export type DetectionOptions = Config['patterns'];

export interface DetectionReport {
  tenantId: string;
  project: string | null;
  model: string;
  scanned: { vectors: number; errorMessages: number };
  patterns: Array<{ id: string; name: string; kind: PatternKind; created: boolean; sessionCount: number }>;
}

/** One pattern found by a run, before it is matched against stored ones. */
interface Candidate {
  fingerprint: string;
  centroid: Float32Array | null;
  /** Fields of a new row (names and tags are kept when a pattern is detected again). */
  name: string;
  /** From the evidence as merged with what earlier runs saw, so the counts agree. */
  describe(evidence: PatternEvidence): string;
  kind: PatternKind;
  tags: string[];
  examples: string[];
  evidence: PatternEvidence;
}

const EXAMPLES = 5;
const EXAMPLE_CHARS = 300;
// Items shorter than this ("ok", "thanks") recur everywhere and mean nothing.
const MIN_ITEM_CHARS = 40;
const ERROR_CONTENT_CHARS = 20_000;
const STORED_CENTROIDS = 1_000;
// Finished runs are kept this long: longer than any trigger window or period (at most 7 days), so a late copy of a
// job (outbox replay, queue retry) still finds its run.
const RUN_RETENTION_MS = 8 * 86_400_000;
const TAG = /^[\p{L}\p{N}_.:/@#+-]+$/u;
// Yield to the event loop after this many messages scanned for errors (up to 20 000 characters each), and after this
// many clusters compared with up to STORED_CENTROIDS stored centroids.
const ERROR_MESSAGES_PER_SLICE = 100;
const CANDIDATES_PER_SLICE = 16;

interface ErrorGroup {
  /** Spellings of the signature (they differ in case only) and how often each was seen. */
  variants: Map<string, number>;
  lines: string[];
  occurrences: Occurrence[];
}

/**
 * Finds recurring themes and errors across one tenant's sessions and records them as detected patterns.
 *
 * Themes: the most recent vectors of the active model (messages by users and assistants, and reflections) are
 * clustered greedily by cosine similarity; a cluster spanning `minSessions` distinct sessions is a pattern.
 * Kind rule: mostly reflections (kept insights) → best-practice; mostly messages → convention.
 * Errors: error lines of recent messages, normalised to signatures; a signature seen in `minSessions` distinct
 * sessions is a recurring-error pattern.
 *
 * Never duplicates: an error's fingerprint is its signature's hash; a cluster's is its most central item, and a
 * cluster whose centroid is as similar as the clustering threshold to a stored cluster pattern's centroid is that
 * pattern. Re-detection merges evidence into the stored row (see mergeEvidence), so running twice is harmless.
 *
 * Bounded: at most `maxVectors` vectors and `maxClusters` clusters, so one run does at most
 * maxVectors × maxClusters × dimension multiply-adds; CPU-bound loops yield to the event loop every few
 * milliseconds, so a run never freezes the API it shares a process with (lite mode) nor its job lock renewal.
 */
export class PatternDetector {
  constructor(
    private readonly store: Store,
    private readonly options: DetectionOptions,
    private readonly model: () => string,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /**
   * Detection for one time bucket (see detectionBucket), at most once: the run is claimed in the store first, and a
   * bucket whose run already finished is not run again (undefined), however often its job is queued or redelivered.
   * A claimed run that never finished (it failed, or its worker died) is taken over.
   */
  async detectOnce(tenantId: string, project: string | null, bucket: string): Promise<DetectionReport | undefined> {
    const run = { tenantId, project, bucket };
    if (!(await this.store.patterns.claimDetectionRun({ ...run, now: this.clock().toISOString() }))) return undefined;
    const report = await this.detect(tenantId, project);
    const now = this.clock();
    await this.store.patterns.finishDetectionRun(
      { ...run, now: now.toISOString() },
      report.patterns.length,
      new Date(now.getTime() - RUN_RETENTION_MS).toISOString(),
    );
    return report;
  }

  async detect(tenantId: string, project: string | null): Promise<DetectionReport> {
    const now = this.clock();
    const model = this.model();
    const since = new Date(now.getTime() - this.options.lookbackDays * 86_400_000).toISOString();
    const [items, messages] = await Promise.all([
      this.store.patterns.recentVectors(
        tenantId,
        model,
        { project, since, limit: this.options.maxVectors },
        MIN_ITEM_CHARS,
      ),
      this.store.patterns.recentErrorMessages(
        tenantId,
        { project, since, limit: this.options.maxErrorMessages },
        ERROR_CONTENT_CHARS,
      ),
    ]);
    const clusters = await this.clusterCandidates(items, model);
    const errors = await this.errorCandidates(messages);

    const targets = await this.matchStoredClusters(tenantId, project, model, clusters);
    const report: DetectionReport = {
      tenantId,
      project,
      model,
      scanned: { vectors: items.length, errorMessages: messages.length },
      patterns: [],
    };
    for (const candidate of [...clusters, ...errors]) {
      try {
        const { pattern, created } = await this.store.patterns.saveDetected(
          {
            tenantId,
            project,
            fingerprint: candidate.fingerprint,
            id: targets.get(candidate),
            newId: uuidv7(),
            now: this.clock().toISOString(),
          },
          (current) => fieldsFor(candidate, current?.evidence ?? null, current?.examples ?? [], model),
        );
        report.patterns.push({
          id: pattern.id,
          name: pattern.name,
          kind: pattern.kind,
          created,
          sessionCount: pattern.evidence?.sessionCount ?? 0,
        });
      } catch (error) {
        // Someone stored a manual pattern under the generated name: theirs wins, the rest of the run goes on.
        if (!(error instanceof ConflictError)) throw error;
      }
    }
    return report;
  }

  private async clusterCandidates(found: VectorItem[], model: string): Promise<Candidate[]> {
    // Oldest first, ties by id: the same items always give the same clusters.
    const items = [...found].sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
    const vectors = items.map((i) => unit(i.vector));
    const candidates: Candidate[] = [];
    const clusters = await leaderClusters(vectors, this.options.similarityThreshold, {
      maxClusters: this.options.maxClusters,
    });
    for (const members of clusters) {
      const group = members.map((m) => items[m] as VectorItem);
      if (new Set(group.map(sessionKey)).size < this.options.minSessions) continue;
      const center = centroid(members.map((m) => vectors[m] as Float32Array));
      // Most central first: the first is the cluster's identity and its most typical item.
      const central = members
        .map((m) => ({ item: items[m] as VectorItem, similarity: dot(vectors[m] as Float32Array, center) }))
        .sort((a, b) => b.similarity - a.similarity || a.item.id.localeCompare(b.item.id))
        .map((c) => c.item);
      const medoid = central[0] as VectorItem;
      const terms = topTerms(
        group.map((i) => i.text),
        3,
      );
      const reflections = group.filter((i) => i.type === 'reflection').length;
      const noun = reflections === group.length ? 'reflections' : reflections === 0 ? 'messages' : 'items';
      const fingerprint = `cluster:${medoid.type}:${medoid.id}`;
      const evidence = evidenceOf('embedding-cluster', group, central, { model });
      candidates.push({
        fingerprint,
        centroid: center,
        name: `Recurring theme: ${terms.length > 0 ? terms.join(', ') : excerpt(medoid.text, 60)} [${short(fingerprint)}]`,
        describe: (e) =>
          `${e.itemCount} similar ${noun} across ${e.sessionCount} sessions. Most typical: "${excerpt(medoid.text, 280)}"`,
        kind: reflections * 2 >= group.length ? 'best-practice' : 'convention',
        tags: ['detected', 'theme', ...terms.filter((t) => TAG.test(t))],
        examples: mergeExamples(
          [],
          central.map((i) => excerpt(i.text, EXAMPLE_CHARS)),
          EXAMPLES,
        ),
        evidence,
      });
    }
    return candidates;
  }

  /** Errors are grouped by their lowercased signature ("Error: Connection refused" is "error: connection refused"). */
  private async errorCandidates(
    messages: Array<{ id: string; sessionId: string; createdAt: string; content: string }>,
  ): Promise<Candidate[]> {
    const byKey = new Map<string, ErrorGroup>();
    for (const [i, message] of messages.entries()) {
      if (i % ERROR_MESSAGES_PER_SLICE === ERROR_MESSAGES_PER_SLICE - 1) await yieldToEventLoop();
      for (const { signature, line } of errorLines(message.content)) {
        const key = signature.toLowerCase();
        const group: ErrorGroup = byKey.get(key) ?? { variants: new Map(), lines: [], occurrences: [] };
        group.variants.set(signature, (group.variants.get(signature) ?? 0) + 1);
        group.lines.push(line);
        // Two spellings of one error in one message are one occurrence.
        if (group.occurrences[group.occurrences.length - 1]?.id !== message.id) {
          group.occurrences.push({
            type: 'message',
            id: message.id,
            sessionId: message.sessionId,
            createdAt: message.createdAt,
          });
        }
        byKey.set(key, group);
      }
    }
    const candidates: Candidate[] = [];
    for (const [key, { variants, lines, occurrences }] of byKey) {
      if (new Set(occurrences.map(sessionKey)).size < this.options.minSessions) continue;
      const signature = mostCommon(variants);
      const fingerprint = `error:${createHash('sha256').update(key).digest('hex').slice(0, 32)}`;
      const newestFirst = [...occurrences].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
      const evidence = evidenceOf('error-signature', occurrences, newestFirst, { signature });
      const cls = errorClass(signature);
      candidates.push({
        fingerprint,
        centroid: null,
        name: `Recurring error: ${excerpt(signature, 120)} [${short(fingerprint)}]`,
        describe: (e) => `The error "${signature}" recurred in ${e.sessionCount} sessions (${e.itemCount} messages).`,
        kind: 'recurring-error',
        tags: ['detected', 'error', ...(cls && TAG.test(cls) ? [cls] : [])],
        examples: mergeExamples([], lines, EXAMPLES),
        evidence,
      });
    }
    return candidates;
  }

  /**
   * Which stored cluster pattern each new cluster is: the one with its fingerprint, else the unclaimed one whose
   * centroid is most similar (at least the clustering threshold). Bigger clusters choose first.
   */
  private async matchStoredClusters(
    tenantId: string,
    project: string | null,
    model: string,
    clusters: Candidate[],
  ): Promise<Map<Candidate, string>> {
    const targets = new Map<Candidate, string>();
    if (clusters.length === 0) return targets;
    const stored = await this.store.patterns.detectedCentroids(tenantId, project, model, STORED_CENTROIDS);
    const claimed = new Set<string>();
    const byFingerprint = new Map(stored.map((s) => [s.fingerprint, s.id]));
    const unitStored = stored.map((s) => ({ id: s.id, vector: unit(s.vector) }));
    const ordered = [...clusters].sort((a, b) => b.evidence.itemCount - a.evidence.itemCount);
    for (const candidate of ordered) {
      const exact = byFingerprint.get(candidate.fingerprint);
      if (exact && !claimed.has(exact)) {
        targets.set(candidate, exact);
        claimed.add(exact);
      }
    }
    for (const [c, candidate] of ordered.entries()) {
      if (c % CANDIDATES_PER_SLICE === CANDIDATES_PER_SLICE - 1) await yieldToEventLoop();
      if (targets.has(candidate) || !candidate.centroid) continue;
      let best: string | undefined;
      let bestSimilarity = this.options.similarityThreshold;
      for (const s of unitStored) {
        if (claimed.has(s.id)) continue;
        const similarity = dot(candidate.centroid, s.vector);
        if (similarity >= bestSimilarity) {
          best = s.id;
          bestSimilarity = similarity;
        }
      }
      if (best) {
        targets.set(candidate, best);
        claimed.add(best);
      }
    }
    return targets;
  }
}

function fieldsFor(
  candidate: Candidate,
  evidence: PatternEvidence | null,
  examples: string[],
  model: string,
): DetectedPatternFields {
  const merged = mergeEvidence(evidence, candidate.evidence);
  return {
    name: candidate.name,
    description: candidate.describe(merged),
    kind: candidate.kind,
    tags: candidate.tags,
    examples: mergeExamples(examples, candidate.examples, EXAMPLES),
    evidence: merged,
    centroid: candidate.centroid ? { model, vector: candidate.centroid } : null,
  };
}

/** The spelling seen most often (ties: the one sorting first), so the displayed signature is stable. */
function mostCommon(variants: Map<string, number>): string {
  return [...variants].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))[0]?.[0] ?? '';
}

function short(fingerprint: string): string {
  return createHash('sha256').update(fingerprint).digest('hex').slice(0, 8);
}
