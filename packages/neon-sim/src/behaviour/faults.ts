import type { FaultRule } from '../options.js';
import type { Rng } from '../state/rng.js';

export type FaultOutcome =
  | { kind: 'none' }
  | { kind: 'status'; status: number }
  | { kind: 'reset' }
  | { kind: 'lost-response' };

export interface FaultDecision {
  latencyMs: number;
  outcome: FaultOutcome;
}

interface ActiveRule {
  rule: FaultRule;
  fired: number;
}

function normalizeTemplate(path: string): string {
  return path.startsWith('/api/v2') ? path.slice('/api/v2'.length) || '/' : path;
}

/** Matches fault rules against requests; dice come from the seeded fault stream. */
export class FaultInjector {
  private rules: ActiveRule[] = [];

  constructor(private readonly dice: Rng) {}

  set(rules: FaultRule[]): void {
    this.rules = rules.map((rule) => ({ rule, fired: 0 }));
  }

  add(rules: FaultRule[]): void {
    this.rules.push(...rules.map((rule) => ({ rule, fired: 0 })));
  }

  clear(): void {
    this.rules = [];
  }

  list(): Array<FaultRule & { fired: number }> {
    return this.rules.map(({ rule, fired }) => ({ ...rule, fired }));
  }

  decide(method: string, template: string): FaultDecision {
    let latencyMs = 0;
    for (const active of this.rules) {
      const { rule } = active;
      if (rule.times !== undefined && active.fired >= rule.times) continue;
      if (!matches(rule, method, template)) continue;
      const probability = rule.probability ?? 1;
      if (probability < 1 && this.dice.next() >= probability) continue;
      active.fired++;
      switch (rule.kind) {
        case 'latency':
          latencyMs += rule.latencyMs ?? 1000;
          break;
        case 'status':
          return { latencyMs, outcome: { kind: 'status', status: rule.status ?? 503 } };
        case 'reset':
          return { latencyMs, outcome: { kind: 'reset' } };
        case 'lost-response':
          return { latencyMs, outcome: { kind: 'lost-response' } };
      }
    }
    return { latencyMs, outcome: { kind: 'none' } };
  }
}

function matches(rule: FaultRule, method: string, template: string): boolean {
  if (rule.method !== undefined && rule.method.toUpperCase() !== method.toUpperCase()) return false;
  const route = (rule.route ?? '*').trim();
  if (route === '*') return true;
  const space = route.indexOf(' ');
  if (space > 0) {
    const ruleMethod = route.slice(0, space);
    if (ruleMethod !== '*' && ruleMethod.toUpperCase() !== method.toUpperCase()) return false;
    const path = route.slice(space + 1).trim();
    return path === '*' || normalizeTemplate(path) === template;
  }
  return normalizeTemplate(route) === template;
}
