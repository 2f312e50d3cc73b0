import type { Rule } from '../../../schemas/generated/types';
import { detectionFields, type MappingResult } from './apply';
import type { EventFieldSet } from './event-fields';
import type { MappingProblem, MappingProfile } from './types';

export interface Reachability {
  /** Every field the mapped rule uses can be present in an event under its profiles. */
  reachable: boolean;
  problems: MappingProblem[];
  /**
   * 'live': today's pipeline produces every field the rule uses; 'planned': some field exists only
   * as the target of a planned profile, whose parser is not written yet (see `requires`);
   * 'unreachable': at least one field can never be present.
   */
  status: 'live' | 'planned' | 'unreachable';
  requires: string[];
}

/**
 * The semantic check behind `rules validate` ("unreachable field under the mapping profile") and
 * `rules import-sigma`: the profiles' own problems (unsupported / strict), then every remaining
 * field must be an event field (the event contract) or a target a matched profile declares.
 */
export function checkReachability(original: Rule, mapped: MappingResult, events: EventFieldSet): Reachability {
  const problems = [...mapped.problems];
  const flagged = new Set(problems.map((p) => p.keyPath.join('\0')));
  // Field → the profiles that declare it as a target (or a condition field).
  const declared = new Map<string, MappingProfile[]>();
  for (const p of mapped.profiles) {
    const fields = [...Object.values(p.fields).flatMap((t) => (typeof t === 'string' ? [t] : [...t])), ...Object.keys(p.conditions)];
    for (const f of fields) declared.set(f, [...(declared.get(f) ?? []), p]);
  }
  const waitingOn = new Set<MappingProfile>();
  // Field → the profiles whose renames produced it in this rule.
  const byName = new Map(mapped.profiles.map((p) => [p.name, p]));
  const producedBy = new Map<string, MappingProfile[]>();
  for (const m of mapped.mappings) {
    const p = byName.get(m.profile);
    if (m.kind === 'field' && p) producedBy.set(m.to, [...(producedBy.get(m.to) ?? []), p]);
  }
  // Key paths of the mapped rule differ from the original when a field fanned out into
  // alternatives; report against the original document, where authors can find them.
  const originalPaths = new Map(detectionFields(original).map((f) => [f.keyPath.join('\0'), f.keyPath]));
  for (const { field, keyPath } of detectionFields(mapped.rule)) {
    const renamedBy = producedBy.get(field);
    if (renamedBy !== undefined && !renamedBy.some((p) => p.telemetry === 'live')) {
      // Renamed by a planned profile: even when the target is an event field today (source.ip),
      // today's events fill it with something else (the syslog sender), so it is not live yet.
      for (const p of renamedBy) waitingOn.add(p);
      continue;
    }
    if (events.has(field)) continue;
    const by = declared.get(field);
    if (by !== undefined) {
      // Present only once a planned parser exists, unless a live profile also promises it.
      if (!by.some((p) => p.telemetry === 'live')) for (const p of by) waitingOn.add(p);
      continue;
    }
    const path = originalPaths.get(keyPath.join('\0')) ?? keyPath.slice(0, 2);
    if (flagged.has(path.join('\0'))) continue;
    flagged.add(path.join('\0'));
    const source = mapped.profiles.length > 0 ? `mapping profile${mapped.profiles.length > 1 ? 's' : ''} ${mapped.profiles.map((p) => `'${p.name}'`).join(', ')}` : 'no mapping profile';
    problems.push({ message: `unreachable field '${field}': not an event field, and ${source} ${mapped.profiles.length > 1 ? 'do not map it' : mapped.profiles.length === 1 ? 'does not map it' : 'matches this logsource'}`, keyPath: path });
  }
  const requires = [...new Set([...waitingOn].map((p) => p.requires ?? p.name))];
  const status = problems.length > 0 ? 'unreachable' : waitingOn.size > 0 ? 'planned' : 'live';
  return { reachable: problems.length === 0, problems, status, requires };
}
