import type { Rule } from '../../../schemas/generated/types';
import { applyProfiles } from './apply';
import type { EventFieldSet } from './event-fields';
import { checkReachability } from './reachability';
import type { MappingProblem, MappingProfile } from './types';

/** Profiles plus the event fields they are checked against: build once per rule load. */
export interface FieldMapping {
  profiles: readonly MappingProfile[];
  events: EventFieldSet;
}

export interface MappedRule {
  /** The rule to compile (the input itself when no profile matches). */
  rule: Rule;
  /** "unreachable field …" problems; key paths point into the original document. */
  problems: MappingProblem[];
  status: 'live' | 'planned' | 'unreachable';
  /** For 'planned': what the pipeline still needs before the rule can fire. */
  requires: string[];
  /** Which profile touched which field. */
  applied: string[];
  profiles: string[];
}

/** The one call a loader needs between schema validation and compilation. */
export function mapRule(rule: Rule, mapping: FieldMapping): MappedRule {
  const result = applyProfiles(rule, mapping.profiles);
  const reach = checkReachability(rule, result, mapping.events);
  return {
    rule: result.rule,
    problems: reach.problems,
    status: reach.status,
    requires: reach.requires,
    applied: result.applied,
    profiles: result.profiles.map((p) => p.name),
  };
}
