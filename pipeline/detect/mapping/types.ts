/** One field-mapping profile (rules/mappings/*.yml), as described by profile.schema.json. */
export interface MappingProfile {
  name: string;
  description?: string;
  /** Lower runs first (default 50); ties keep file order. */
  priority: number;
  logsource: { category?: string; product?: string; service?: string };
  /** 'planned': target fields are documented but no parser produces them yet. */
  telemetry: 'live' | 'planned';
  requires?: string;
  /** Sigma field → event field(s). */
  fields: Readonly<Record<string, string | readonly string[]>>;
  /** Sigma field → why it is unreachable from this source. */
  unsupported: Readonly<Record<string, string>>;
  strict: boolean;
  conditions: Readonly<Record<string, ConditionValue | readonly ConditionValue[]>>;
  /** File the profile came from (for messages); '' when built in code. */
  file: string;
}

export type ConditionValue = string | number | boolean;

/** A problem with a profile file: `file: message` plus the key path inside the document. */
export interface ProfileProblem {
  file: string;
  message: string;
  keyPath: (string | number)[];
}

/** A problem found while mapping one rule; keyPath points into the rule document. */
export interface MappingProblem {
  message: string;
  keyPath: (string | number)[];
  /** The profile that declared the field unreachable, if any. */
  profile?: string;
}

/** Which profile renamed which field (pySigma records the item that touched each field). */
export interface AppliedMapping {
  profile: string;
  /** 'field' for a rename, 'condition' for an added `_logsource` selection. */
  kind: 'field' | 'condition';
  from: string;
  to: string;
}
