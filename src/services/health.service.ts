export type DependencyState = 'up' | 'down';

export interface DependencyCheck {
  name: string;
  /** A down non-critical dependency is reported but leaves the service ready. (Default: true) */
  critical?: boolean;
  /** Resolves when the dependency answers; throws (or times out) when it does not. */
  check(): Promise<void>;
}

export interface DependencyStatus {
  name: string;
  state: DependencyState;
  critical: boolean;
  latencyMs: number;
  error?: string;
}

export interface Readiness {
  ready: boolean;
  dependencies: DependencyStatus[];
}

export interface HealthInfo {
  status: 'ok';
  name: string;
  version: string;
  mode: 'lite' | 'standard';
  uptimeSeconds: number;
}

/** Liveness and readiness in one answer (the MCP `health_check` tool): `degraded` when not ready. */
export interface HealthReport extends Omit<HealthInfo, 'status'>, Readiness {
  status: 'ok' | 'degraded';
}

export class HealthService {
  private readonly startedAt = Date.now();

  constructor(
    private readonly info: { name: string; version: string; mode: 'lite' | 'standard' },
    private readonly dependencies: DependencyCheck[],
    private readonly timeoutMs = 2000,
  ) {}

  liveness(): HealthInfo {
    return { status: 'ok', ...this.info, uptimeSeconds: Math.round((Date.now() - this.startedAt) / 1000) };
  }

  /** Checks every dependency at once, each bounded by the timeout, and says which is down. */
  async readiness(): Promise<Readiness> {
    const dependencies = await Promise.all(this.dependencies.map((d) => this.probe(d)));
    return { ready: dependencies.every((d) => d.state === 'up' || !d.critical), dependencies };
  }

  /** Version, mode, uptime and every dependency's state. */
  async report(): Promise<HealthReport> {
    const { ready, dependencies } = await this.readiness();
    return { ...this.liveness(), status: ready ? 'ok' : 'degraded', ready, dependencies };
  }

  private async probe(dependency: DependencyCheck): Promise<DependencyStatus> {
    const started = performance.now();
    const critical = dependency.critical ?? true;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        dependency.check(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
        }),
      ]);
      return { name: dependency.name, state: 'up', critical, latencyMs: elapsed(started) };
    } catch (error) {
      return {
        name: dependency.name,
        state: 'down',
        critical,
        latencyMs: elapsed(started),
        error: (error as Error).message,
      };
    } finally {
      clearTimeout(timer);
    }
  }
}

function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 100) / 100;
}
