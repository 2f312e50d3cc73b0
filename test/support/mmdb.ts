import { execFileSync } from 'node:child_process';
import path from 'node:path';

/**
 * Writes the tiny test GeoIP databases (test/support/make-test-mmdb.pl; needs Debian's
 * libmaxmind-db-writer-perl, which .ci/run installs) into `dir`.
 * City: 203.0.113.0/24 → Wellington NZ, 198.51.100.0/24 → DE (no city), 2001:db8::/32 → Berlin DE,
 * 10.0.0.0/8 → ZZ (to prove private addresses are never looked up).
 * ASN: 203.0.113.0/24 → AS64500 "Example Transit", 2001:db8::/32 → AS64501 "Example Six".
 */
export function writeTestMmdb(dir: string): { city: string; asn: string } {
  execFileSync('perl', [path.join(__dirname, 'make-test-mmdb.pl'), dir], { stdio: ['ignore', 'ignore', 'pipe'] });
  return { city: path.join(dir, 'test-city.mmdb'), asn: path.join(dir, 'test-asn.mmdb') };
}
