/**
 * GeoIP and ASN from MaxMind-format databases (maxmind / mmdb-lib). Each database file is read
 * whole into memory and opened with mmdb-lib's Reader, so a reload builds a new Reader from the
 * new bytes and swaps it in; a file that is not a MaxMind database (no metadata section) or not
 * of the expected kind throws. Results are cached per address text (bounded, emptied when full):
 * one busy address costs one tree walk per cache lifetime. Results are frozen and shared by the
 * events they are written to.
 */
import fs from 'node:fs/promises';
import { Reader, type AsnResponse, type CityResponse } from 'maxmind';

export interface GeoResult {
  /** ECS <side>.geo.* */
  geo: Record<string, unknown> | null;
  /** ECS <side>.as.* */
  as: { number: number; organization?: { name: string } } | null;
}

export async function openMmdb<T extends CityResponse | AsnResponse>(file: string, kind: 'city' | 'asn'): Promise<Reader<T>> {
  const bytes = await fs.readFile(file);
  let reader: Reader<T>;
  try {
    reader = new Reader<T>(bytes);
  } catch (err) {
    throw new Error(`not a MaxMind database: ${(err as Error).message}`);
  }
  const type = reader.metadata.databaseType;
  const ok = kind === 'city' ? /city|country|geo/i.test(type) && !/asn/i.test(type) : /asn|isp/i.test(type);
  if (!ok) throw new Error(`database type '${type}' is not ${kind === 'city' ? 'a City or Country' : 'an ASN or ISP'} database`);
  return reader;
}

export class GeoLookup {
  private readonly cache = new Map<string, GeoResult>();

  constructor(
    readonly city: Reader<CityResponse> | null,
    readonly asn: Reader<AsnResponse> | null,
    private readonly cacheSize: number,
  ) {}

  /** `text` must already be a valid address. */
  lookup(text: string): GeoResult {
    const cached = this.cache.get(text);
    if (cached !== undefined) return cached;
    const result: GeoResult = { geo: null, as: null };
    try {
      const c = this.city?.get(text);
      if (c) result.geo = geoFields(c);
      const a = this.asn?.get(text);
      if (a && typeof a.autonomous_system_number === 'number') {
        result.as = { number: a.autonomous_system_number, ...(a.autonomous_system_organization ? { organization: { name: a.autonomous_system_organization } } : {}) };
      }
    } catch {
      // mmdb-lib refuses address forms our parser accepted (e.g. a zone suffix): no data.
    }
    // Shared by every event with this address (no copy per event), so frozen: a stage that
    // tried to change one event's geo would fail loudly rather than change the others'.
    deepFreeze(result);
    if (this.cacheSize > 0) {
      if (this.cache.size >= this.cacheSize) this.cache.clear();
      this.cache.set(text, result);
    }
    return result;
  }
}

/** A City/Country record as ECS geo fields (English names). */
export function geoFields(r: CityResponse): Record<string, unknown> | null {
  const geo: Record<string, unknown> = {};
  if (r.continent?.code) geo.continent_code = r.continent.code;
  if (r.continent?.names?.en) geo.continent_name = r.continent.names.en;
  const country = r.country ?? r.registered_country;
  if (country?.iso_code) geo.country_iso_code = country.iso_code;
  if (country?.names?.en) geo.country_name = country.names.en;
  const region = r.subdivisions?.[0];
  if (region?.iso_code) geo.region_iso_code = country?.iso_code ? `${country.iso_code}-${region.iso_code}` : region.iso_code;
  if (region?.names?.en) geo.region_name = region.names.en;
  if (r.city?.names?.en) geo.city_name = r.city.names.en;
  if (r.postal?.code) geo.postal_code = r.postal.code;
  if (r.location && typeof r.location.latitude === 'number' && typeof r.location.longitude === 'number') {
    geo.location = { lat: r.location.latitude, lon: r.location.longitude };
  }
  if (r.location?.time_zone) geo.timezone = r.location.time_zone;
  return Object.keys(geo).length > 0 ? geo : null;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
