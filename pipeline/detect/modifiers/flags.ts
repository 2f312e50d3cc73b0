/**
 * Modifiers that change how a detection item combines its values rather than the values:
 * - all: spec — the values are linked with AND instead of OR; a single value is not allowed.
 * - cased: spec — values match case-sensitively (Sigma's default is case-insensitive).
 * - neq: spec — the field differs from the specified values. Following pySigma, which negates the
 *   item (`not (field = a or field = b)`), an event without the field counts as different.
 */
import type { FlagModifier } from './types';

export const all: FlagModifier = { id: 'all', type: 'flag', flag: 'all' };
export const cased: FlagModifier = { id: 'cased', type: 'flag', flag: 'cased' };
export const neq: FlagModifier = { id: 'neq', type: 'flag', flag: 'neq' };
