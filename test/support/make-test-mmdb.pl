#!/usr/bin/perl
# Writes two tiny MaxMind-format databases for the enrichment tests (no real GeoIP data is
# shipped): a GeoIP2-City one and a GeoLite2-ASN one. Needs Debian's libmaxmind-db-writer-perl.
#   perl test/support/make-test-mmdb.pl OUT_DIR   -> OUT_DIR/test-city.mmdb, OUT_DIR/test-asn.mmdb
use strict;
use warnings;
use MaxMind::DB::Writer::Tree;

my $dir = shift @ARGV or die "usage: $0 OUT_DIR\n";

my %city_types = (
    city => 'map', continent => 'map', country => 'map', location => 'map', subdivisions => ['array', 'map'],
    names => 'map', en => 'utf8_string', de => 'utf8_string', code => 'utf8_string', iso_code => 'utf8_string',
    geoname_id => 'uint32', latitude => 'double', longitude => 'double', time_zone => 'utf8_string',
    accuracy_radius => 'uint16',
);
my $city = MaxMind::DB::Writer::Tree->new(
    ip_version => 6, record_size => 24, database_type => 'GeoIP2-City', languages => ['en'],
    description => { en => 'haetae test city database' }, map_key_type_callback => sub { $city_types{ $_[0] } },
    remove_reserved_networks => 0,
);
$city->insert_network('203.0.113.0/24', {
    continent => { code => 'OC', names => { en => 'Oceania' } },
    country => { iso_code => 'NZ', names => { en => 'New Zealand' } },
    subdivisions => [{ iso_code => 'WGN', names => { en => 'Wellington Region' } }],
    city => { names => { en => 'Wellington' } },
    location => { latitude => -41.2866, longitude => 174.7756, time_zone => 'Pacific/Auckland', accuracy_radius => 50 },
});
$city->insert_network('198.51.100.0/24', {
    continent => { code => 'EU', names => { en => 'Europe' } },
    country => { iso_code => 'DE', names => { en => 'Germany' } },
    location => { latitude => 51.2993, longitude => 9.491, time_zone => 'Europe/Berlin' },
});
$city->insert_network('2001:db8::/32', {
    continent => { code => 'EU', names => { en => 'Europe' } },
    country => { iso_code => 'DE', names => { en => 'Germany' } },
    city => { names => { en => 'Berlin' } },
    location => { latitude => 52.52, longitude => 13.405, time_zone => 'Europe/Berlin' },
});
# A private network in the database: the enricher must still skip it (RFC 1918).
$city->insert_network('10.0.0.0/8', { country => { iso_code => 'ZZ', names => { en => 'Nowhere' } } });
open my $fh, '>:raw', "$dir/test-city.mmdb" or die "$dir/test-city.mmdb: $!\n";
$city->write_tree($fh);
close $fh;

my %asn_types = (autonomous_system_number => 'uint32', autonomous_system_organization => 'utf8_string');
my $asn = MaxMind::DB::Writer::Tree->new(
    ip_version => 6, record_size => 24, database_type => 'GeoLite2-ASN', languages => ['en'],
    description => { en => 'haetae test ASN database' }, map_key_type_callback => sub { $asn_types{ $_[0] } },
    remove_reserved_networks => 0,
);
$asn->insert_network('203.0.113.0/24', { autonomous_system_number => 64500, autonomous_system_organization => 'Example Transit' });
$asn->insert_network('2001:db8::/32', { autonomous_system_number => 64501, autonomous_system_organization => 'Example Six' });
open $fh, '>:raw', "$dir/test-asn.mmdb" or die "$dir/test-asn.mmdb: $!\n";
$asn->write_tree($fh);
close $fh;
