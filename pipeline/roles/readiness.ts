/** A service a role depends on; one problem per dependency is kept, the latest. */
export type Dependency = 'kafka' | 'kafka-group' | 'elasticsearch' | 'redis';

export interface RoleState {
  ready: boolean;
  /** Why not: what the role is waiting for, or which dependency it cannot get through to. */
  reason?: string;
}

export interface ReadinessReport {
  ready: boolean;
  roles: Record<string, RoleState>;
}

/**
 * What one role tells /readyz. A role is ready once it has `started()` and while none of its
 * dependencies has a problem. Problems come two ways: pushed by the code that meets them (a retry
 * loop calls `degraded`, its next success `recovered`; a consumer's crash and its rejoin), or
 * pulled when /readyz asks (`watch`: a live connection's state, e.g. an ioredis client's status),
 * which also catches an outage while the role is idle.
 */
export class RoleHealth {
  private startup: string | null = 'waiting to start';
  private readonly problems = new Map<Dependency, string>();
  private readonly watches: Array<() => { dependency: Dependency; reason: string } | null> = [];

  constructor(readonly role: string) {}

  /** While the role starts: the step it is on (shown as the reason). */
  starting(step: string): void {
    if (this.startup !== null) this.startup = step;
  }

  started(): void {
    this.startup = null;
  }

  degraded(dependency: Dependency, reason: string): void {
    this.problems.set(dependency, reason);
  }

  recovered(dependency: Dependency): void {
    this.problems.delete(dependency);
  }

  /** A check run on every /readyz: return the problem, or null when the dependency answers. */
  watch(dependency: Dependency, check: () => string | null): void {
    this.watches.push(() => {
      const reason = check();
      return reason === null ? null : { dependency, reason };
    });
  }

  get state(): RoleState {
    const reasons: string[] = [];
    if (this.startup !== null) reasons.push(`starting: ${this.startup}`);
    const seen = new Set<Dependency>();
    for (const [dependency, reason] of this.problems) {
      seen.add(dependency);
      reasons.push(reason);
    }
    for (const w of this.watches) {
      const p = w();
      // A pushed problem of the same dependency says more (the failing operation and its error).
      if (p && !seen.has(p.dependency)) reasons.push(p.reason);
    }
    return reasons.length === 0 ? { ready: true } : { ready: false, reason: reasons.join('; ') };
  }
}

/**
 * The roles of one process. Roles are registered before anything starts, so a role stuck in its
 * start-up (Kafka unreachable, say) is listed as not ready instead of being absent — an empty
 * list must never read as "ready".
 */
export class Readiness {
  private readonly roles = new Map<string, RoleHealth>();

  role(name: string): RoleHealth {
    let h = this.roles.get(name);
    if (!h) {
      h = new RoleHealth(name);
      this.roles.set(name, h);
    }
    return h;
  }

  report(): ReadinessReport {
    const roles: Record<string, RoleState> = {};
    for (const [name, h] of this.roles) roles[name] = h.state;
    const states = Object.values(roles);
    return { ready: states.length > 0 && states.every((s) => s.ready), roles };
  }
}

/**
 * `op` as seen by /readyz: each failure marks `dependency` degraded (reason from `describe`), each
 * success recovered. For an operation a retry loop repeats until it succeeds, this is "not ready
 * while held data waits for the service".
 */
export function reporting<A extends unknown[], T>(health: RoleHealth, dependency: Dependency, describe: (err: unknown) => string, op: (...args: A) => Promise<T>): (...args: A) => Promise<T> {
  return async (...args) => {
    try {
      const result = await op(...args);
      health.recovered(dependency);
      return result;
    } catch (err) {
      health.degraded(dependency, describe(err));
      throw err;
    }
  };
}

/** ioredis connection states in which commands are being served. */
export function redisProblem(status: string, where: string): string | null {
  return status === 'ready' ? null : `Redis at ${where} is not connected (${status})`;
}
