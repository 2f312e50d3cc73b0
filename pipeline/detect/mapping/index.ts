export type { AppliedMapping, ConditionValue, MappingProblem, MappingProfile, ProfileProblem } from './types';
export { compileProfileValidator, loadMappingProfiles, parseMappingProfiles } from './load-profiles';
export { LOGSOURCE_SELECTION, applyProfiles, detectionFields, profileMatches, type MappingResult } from './apply';
export { eventFieldSet, type EventFieldSet } from './event-fields';
export { checkReachability, type Reachability } from './reachability';
export { mapRule, type FieldMapping, type MappedRule } from './map-rule';
