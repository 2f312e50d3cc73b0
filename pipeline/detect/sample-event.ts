import type { HaetaeEvent } from '../../schemas/generated/types';
import { eventsFromLines } from '../offline/events';
import { shippedDecoders } from '../decoders/shipped';

/**
 * Turns a raw syslog line into the event the pipeline would index, through the worker's own
 * stages (parse, normalize and the shipped vendor decoders), so a rule test or `rules explain`
 * sees exactly what production sees. The envelope is synthetic: UDP from 127.0.0.1, received `now`.
 */
export function eventFromLine(line: string, now: Date): HaetaeEvent {
  const [outcome] = eventsFromLines([line], { now, decoders: shippedDecoders() });
  return (outcome as { event: HaetaeEvent }).event;
}
