/**
 * Decoders: read a message's content (after the syslog header) into ECS fields. Declared in YAML
 * files (decoders/, see docs/decoders.md), compiled once per load, routed by an index so the cost
 * per event does not grow with the number of decoders.
 *
 *   const { decoders, problems } = loadDecoders(['decoders']);
 *   const set = createDecoderSet(decoders);
 *   const hit = set.decode({ message, program, sender, facility });
 *   if (hit) applyDecoded(event, hit.decoder.id, hit.result);
 */
export type { DecodedFields, DecodeResult, Decoder, DecoderInput, DecoderSample, DecoderSelect, MultiRecord } from './types';
export { loadDecoders, loadDecoderText, findDecoderFiles, formatDecoderProblem, decoderValidator } from './load';
export type { DecoderProblem, DecoderProblemCode, LoadedDecoders, LoadDecoderOptions } from './load';
export { createDecoderSet } from './select';
export type { DecoderSet } from './select';
export { applyDecoded, TAG_DECODER_FAILURE } from './apply';
export { assembleRecords, defaultMerge } from './assemble';
export type { Assembled, DecodedRecord } from './assemble';
export { runSamples, formatSampleReport, observedFields, sampleInput } from './samples';
export type { SampleFailure, SampleReport } from './samples';
export { addRelated } from './compile';
export { watchRulePaths as watchDecoderPaths } from '../detect/watch';
