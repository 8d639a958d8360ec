"""The firewall baseline parser (ports.py) and the address, domain and host name parsers
(addresses.py): pure functions, no database."""
import pytest

from csirt.systems.addresses import parse_addresses, parse_domains, parse_hostname
from csirt.systems.ports import MAX_ENTRIES, PortRange, contains, format_baseline, parse_baseline


def test_a_baseline_accepts_bare_numbers_protocols_and_ranges_with_any_separator():
    ranges = parse_baseline("22, 80/tcp 443\n8000-8010/tcp,161/udp")
    assert ranges == (PortRange("tcp", 22, 22), PortRange("tcp", 80, 80), PortRange("tcp", 443, 443),
                      PortRange("tcp", 8000, 8010), PortRange("udp", 161, 161))


def test_the_canonical_text_lists_tcp_first_ascending():
    assert format_baseline(parse_baseline("161/udp, 443, 22, 8000-8010/TCP, 80/tcp")) == \
        "22/tcp, 80/tcp, 443/tcp, 8000-8010/tcp, 161/udp"


def test_duplicates_overlaps_and_touching_ranges_are_merged():
    assert format_baseline(parse_baseline("22 22/tcp 8000-8010 8005-8020 8021 53/udp 53/udp")) == \
        "22/tcp, 8000-8021/tcp, 53/udp"


def test_the_canonical_text_parses_back_to_the_same_ranges():
    ranges = parse_baseline("1-1024, 3389, 161-162/udp, 65535")
    assert parse_baseline(format_baseline(ranges)) == ranges


def test_an_empty_baseline_allows_nothing():
    assert parse_baseline("") == () and parse_baseline(None) == () and parse_baseline(" , \n") == ()
    assert format_baseline(()) == ""


def test_contains_checks_the_protocol_and_the_range():
    ranges = parse_baseline("22, 8000-8010, 161/udp")
    assert contains(ranges, "tcp", 8005) and contains(ranges, "TCP", 22) and contains(ranges, "udp", 161)
    assert not contains(ranges, "udp", 22) and not contains(ranges, "tcp", 161) and not contains(ranges, "tcp", 8011)


@pytest.mark.parametrize("text, token", [("22, 0", "0"), ("65536", "65536"), ("80, 70000/udp", "70000/udp"),
                                         ("1-65536", "1-65536")])
def test_a_port_outside_1_to_65535_is_refused_naming_it(text, token):
    with pytest.raises(ValueError, match="between 1 and 65535") as err:
        parse_baseline(text)
    assert f'"{token}"' in str(err.value)


@pytest.mark.parametrize("token", ["22:80", "80-", "-80", "abc", "80/", "80-90-100", "0x50", "1e3", "22/tcp/udp"])
def test_an_unknown_form_is_refused_naming_the_token(token):
    with pytest.raises(ValueError) as err:
        parse_baseline(f"443, {token}")
    assert f'"{token}"' in str(err.value)


def test_a_reversed_range_is_refused():
    with pytest.raises(ValueError, match="ends before it starts"):
        parse_baseline("8010-8000")


def test_an_unknown_protocol_is_refused():
    with pytest.raises(ValueError, match="unknown protocol") as err:
        parse_baseline("53/icmp")
    assert '"53/icmp"' in str(err.value)


def test_a_baseline_of_more_than_the_cap_is_refused():
    assert len(parse_baseline(" ".join(str(p) for p in range(1, MAX_ENTRIES * 2, 2)))) == MAX_ENTRIES
    with pytest.raises(ValueError, match=str(MAX_ENTRIES)):
        parse_baseline(" ".join(str(p) for p in range(1, MAX_ENTRIES + 2)))


def test_addresses_come_back_canonical_without_duplicates_in_their_order():
    assert parse_addresses("10.0.0.2, 2001:DB8:0:0:0:0:0:1\n10.0.0.1 2001:db8::1 10.0.0.2") == \
        ["10.0.0.2", "2001:db8::1", "10.0.0.1"]
    assert parse_addresses(["192.0.2.1", " 192.0.2.1 "]) == ["192.0.2.1"]
    assert parse_addresses("") == [] and parse_addresses(None) == []


@pytest.mark.parametrize("bad", ["10.0.0.0/24", "ioffice.laocai.gov.vn", "256.1.1.1", "fe80::1%eth0",
                                 "-iL", "10.0.0.1-5", "localhost"])
def test_what_is_not_an_ip_address_is_refused_naming_it(bad):
    with pytest.raises(ValueError, match="is not an IP address") as err:
        parse_addresses(f"10.0.0.1, {bad}")
    assert bad in str(err.value)


def test_a_list_with_a_non_text_item_is_refused():
    with pytest.raises(ValueError):
        parse_addresses(["10.0.0.1", 167772161])


def test_domains_are_lowercased_deduplicated_and_may_be_internationalised():
    assert parse_domains("LaoCai.gov.vn, dichvucong.laocai.gov.vn. laocai.gov.vn\nsở-y-tế.vn") == \
        ["laocai.gov.vn", "dichvucong.laocai.gov.vn", "sở-y-tế.vn"]


@pytest.mark.parametrize("bad", ["a..vn", "-a.vn", "a-.vn", "vn", "1.2.3.4", "a_b.vn", "http://a.vn", "a.vn/x",
                                 "*.laocai.gov.vn", ("x" * 64) + ".vn"])
def test_what_is_not_a_domain_is_refused_naming_it(bad):
    with pytest.raises(ValueError, match="is not a domain name"):
        parse_domains(bad)


def test_host_names_are_lowercased_ascii_names():
    assert parse_hostname(" DC-iGate-01 ") == "dc-igate-01"
    assert parse_hostname("db01.dc.laocai.gov.vn.") == "db01.dc.laocai.gov.vn"


@pytest.mark.parametrize("bad", ["-oN", "web 01", "web_01", "máy-chủ", "10.0.0.1", "a..b", "", "x%y"])
def test_a_bad_host_name_is_refused(bad):
    with pytest.raises(ValueError, match="not a valid host name"):
        parse_hostname(bad)
