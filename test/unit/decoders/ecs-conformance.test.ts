import { compileValidators } from '../../../schemas/validators';
import { shippedDecoders } from '../../../pipeline/decoders/shipped';
import { ecsField, fitsEcsType } from '../../../pipeline/ecs/fields';
import { eventsFromLines } from '../../../pipeline/offline/events';

/**
 * Every field a shipped decoder emits that ECS defines has ECS's type (an `ip` is an address, a
 * `long` a whole number, `event.category` one of ECS's allowed values …), on each decoder's own
 * samples; and every event the worker would index from those samples validates against the event
 * contract. A decoder that puts "80" in destination.port or "login" in event.category fails here.
 */
const validators = compileValidators();
const decoders = shippedDecoders().decoders;

function flatten(prefix: string, value: unknown, out: Array<[string, unknown]>): void {
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && !ecsField(prefix)) {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) flatten(prefix ? `${prefix}.${k}` : k, v, out);
    return;
  }
  out.push([prefix, value]);
}

describe('shipped decoders emit ECS-typed fields', () => {
  it('has decoders with samples to check', () => {
    expect(decoders.length).toBeGreaterThan(5);
    expect(decoders.every((d) => d.samples.length > 0)).toBe(true);
  });

  it.each(decoders.map((d) => [d.id, d] as const))('%s: every ECS field on every sample has ECS type and allowed values', (_id, d) => {
    const wrong: string[] = [];
    let checked = 0;
    for (const s of d.samples) {
      const r = d.decode({ message: s.input, ...(s.program !== undefined ? { program: s.program } : {}), ...(s.sender !== undefined ? { sender: s.sender } : {}) });
      if (!r || !r.ok) continue;
      const fields: Array<[string, unknown]> = [];
      for (const [k, v] of Object.entries(r.fields)) flatten(k, v, fields);
      for (const [name, value] of fields) {
        const fits = fitsEcsType(name, value);
        if (fits === undefined) continue; // a vendor namespace field: ECS does not define it
        checked++;
        if (!fits) wrong.push(`${name} = ${JSON.stringify(value)} (ECS: ${ecsField(name)!.type}${ecsField(name)!.allowed ? ` of ${ecsField(name)!.allowed!.join('|')}` : ''}) on sample line ${s.line ?? '?'}`);
      }
    }
    expect(wrong).toEqual([]);
    expect(checked).toBeGreaterThan(0);
  });

  it('every event built from every sample validates against the event contract', () => {
    const invalid: string[] = [];
    for (const d of decoders) {
      const outcomes = eventsFromLines(d.samples.map((s) => s.input), { decoders: shippedDecoders(), now: new Date() });
      for (const o of outcomes) {
        if (!('event' in o)) continue;
        if (!validators.event(o.event)) invalid.push(`${d.id} sample ${o.line}: ${JSON.stringify(validators.event.errors?.slice(0, 2))}`);
      }
    }
    expect(invalid).toEqual([]);
  });
});
