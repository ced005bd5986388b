package safehttp

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
)

func TestCheckURL(t *testing.T) {
	t.Parallel()
	strict := AddressPolicy{}
	private := AddressPolicy{AllowPrivateNetworks: true}
	allow2 := AddressPolicy{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.2/32"), netip.MustParsePrefix("fd12::/16")}}
	tests := []struct {
		name   string
		policy AddressPolicy
		url    string
		code   Code   // "" means allowed
		reason string // substring of the error
	}{
		// Plain public addresses and names.
		{"public name", strict, "https://example.com/a.png", "", ""},
		{"public IPv4", strict, "http://8.8.8.8/a.png", "", ""},
		{"public IPv6", strict, "http://[2606:4700::1111]/a.png", "", ""},
		{"IPv4-mapped public", strict, "http://[::ffff:8.8.8.8]/", "", ""},
		{"NAT64 of public", strict, "http://[64:ff9b::808:808]/", "", ""},
		{"6to4 of public", strict, "http://[2002:808:808::1]/", "", ""},
		{"punycode name", strict, "https://xn--mnchen-3ya.de/x.jpg", "", ""},
		{"unicode name", strict, "https://münchen.de/x.jpg", "", ""},
		{"name with numeric-looking label", strict, "https://123abc/x.jpg", "", ""},
		{"digits inside name", strict, "https://1.2.3.example/x.jpg", "", ""},

		// Loopback in every spelling.
		{"loopback", strict, "http://127.0.0.1/", CodeRefusedAddress, "127.0.0.1 (loopback)"},
		{"loopback other", strict, "http://127.8.9.10:8080/", CodeRefusedAddress, "loopback"},
		{"decimal", strict, "http://2130706433/", CodeRefusedAddress, "2130706433 (127.0.0.1, loopback)"},
		{"octal", strict, "http://0177.0.0.1/", CodeRefusedAddress, "0177.0.0.1 (127.0.0.1, loopback)"},
		{"octal whole", strict, "http://017700000001/", CodeRefusedAddress, "(127.0.0.1, loopback)"},
		{"hex parts", strict, "http://0x7f.1/", CodeRefusedAddress, "0x7f.1 (127.0.0.1, loopback)"},
		{"hex upper", strict, "http://0X7F.0.0.1/", CodeRefusedAddress, "(127.0.0.1, loopback)"},
		{"hex whole", strict, "http://0x7f000001/", CodeRefusedAddress, "(127.0.0.1, loopback)"},
		{"short form", strict, "http://127.1/", CodeRefusedAddress, "127.1 (127.0.0.1, loopback)"},
		{"three parts", strict, "http://127.0.1/", CodeRefusedAddress, "(127.0.0.1, loopback)"},
		{"trailing dot", strict, "http://127.0.0.1./", CodeRefusedAddress, "(127.0.0.1, loopback)"},
		{"percent-encoded (Go refuses escapes in hosts)", strict, "http://%31%32%37.0.0.1/", CodeInvalidURL, "not a valid URL"},
		{"full-width digits", strict, "http://１２７.０.０.１/", CodeRefusedAddress, "(127.0.0.1, loopback)"},
		{"ideographic full stops", strict, "http://127。0。0。1/", CodeRefusedAddress, "(127.0.0.1, loopback)"},
		{"userinfo trick", strict, "http://example.com@127.0.0.1/", CodeRefusedAddress, "loopback"},
		{"localhost", strict, "http://localhost:8080/", CodeRefusedAddress, "localhost because it is a private or loopback address; an operator can allow this with HERALD_ALLOW_PRIVATE_NETWORKS=true"},
		{"localhost upper with dot", strict, "http://LOCALHOST./", CodeRefusedAddress, "loopback"},
		{"subdomain of localhost", strict, "http://media.localhost/", CodeRefusedAddress, "loopback"},
		{"IPv6 loopback", strict, "http://[::1]/", CodeRefusedAddress, "::1 (loopback)"},
		{"IPv4-mapped loopback", strict, "http://[::ffff:127.0.0.1]/", CodeRefusedAddress, "IPv4-mapped IPv6 of 127.0.0.1, loopback"},
		{"IPv4-mapped loopback hex", strict, "http://[::ffff:7f00:1]/", CodeRefusedAddress, "IPv4-mapped"},
		{"IPv4-mapped long form", strict, "http://[0:0:0:0:0:ffff:127.0.0.1]/", CodeRefusedAddress, "IPv4-mapped"},
		{"IPv4-compatible", strict, "http://[::127.0.0.1]/", CodeRefusedAddress, "IPv4-compatible"},
		{"NAT64 of loopback", strict, "http://[64:ff9b::7f00:1]/", CodeRefusedAddress, "NAT64 address of 127.0.0.1"},
		{"6to4 of loopback", strict, "http://[2002:7f00:1::]/", CodeRefusedAddress, "6to4 address of 127.0.0.1"},

		// Private, shared, link-local, metadata.
		{"RFC1918 10", strict, "http://10.0.0.1/", CodeRefusedAddress, "private network (RFC 1918)"},
		{"RFC1918 172", strict, "http://172.16.5.4/", CodeRefusedAddress, "private network"},
		{"RFC1918 172 upper edge", strict, "http://172.31.255.255/", CodeRefusedAddress, "private network"},
		{"172.32 is public", strict, "http://172.32.0.1/", "", ""},
		{"RFC1918 192.168", strict, "http://192.168.1.1/", CodeRefusedAddress, "private network"},
		{"RFC1918 decimal", strict, "http://3232235777/", CodeRefusedAddress, "(192.168.1.1, private network"},
		{"CGNAT", strict, "http://100.64.0.1/", CodeRefusedAddress, "carrier-grade NAT"},
		{"CGNAT upper edge", strict, "http://100.127.255.254/", CodeRefusedAddress, "carrier-grade NAT"},
		{"link-local", strict, "http://169.254.1.1/", CodeRefusedAddress, "link-local"},
		{"metadata", strict, "http://169.254.169.254/latest/meta-data/", CodeRefusedAddress, "cloud metadata"},
		{"metadata decimal", strict, "http://2852039166/", CodeRefusedAddress, "2852039166 because it is an address that is never allowed (169.254.169.254, cloud metadata service)"},
		{"metadata hex parts", strict, "http://0xa9.0xfe.0xa9.0xfe/", CodeRefusedAddress, "cloud metadata"},
		{"metadata octal", strict, "http://0251.0376.0251.0376/", CodeRefusedAddress, "cloud metadata"},
		{"metadata IPv6 AWS", strict, "http://[fd00:ec2::254]/", CodeRefusedAddress, "cloud metadata"},
		{"metadata mapped", strict, "http://[::ffff:169.254.169.254]/", CodeRefusedAddress, "cloud metadata"},
		{"metadata 6to4", strict, "http://[2002:a9fe:a9fe::]/", CodeRefusedAddress, "6to4 address of 169.254.169.254, cloud metadata"},
		{"metadata alibaba", strict, "http://100.100.100.200/", CodeRefusedAddress, "cloud metadata"},
		{"unique local", strict, "http://[fc00::1]/", CodeRefusedAddress, "unique local"},
		{"unique local fd", strict, "http://[fd12:3456::1]/", CodeRefusedAddress, "unique local"},
		{"IPv6 link-local with zone", strict, "http://[fe80::1%25eth0]/", CodeRefusedAddress, "link-local"},
		{"NAT64 of private", strict, "http://[64:ff9b::a00:1]/", CodeRefusedAddress, "NAT64 address of 10.0.0.1"},
		{"local-use NAT64", strict, "http://[64:ff9b:1::1]/", CodeRefusedAddress, "local-use NAT64"},
		{"Teredo", strict, "http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/", CodeRefusedAddress, "Teredo"},
		{"documentation v6", strict, "http://[2001:db8::1]/", CodeRefusedAddress, "documentation"},
		{"documentation v4", strict, "http://192.0.2.10/", CodeRefusedAddress, "documentation"},
		{"benchmarking", strict, "http://198.18.0.1/", CodeRefusedAddress, "benchmarking"},

		// Unspecified, multicast, broadcast, reserved.
		{"unspecified", strict, "http://0.0.0.0/", CodeRefusedAddress, "unspecified"},
		{"unspecified short", strict, "http://0/", CodeRefusedAddress, "0 because it is an address that is never allowed (0.0.0.0"},
		{"this network", strict, "http://0.1.2.3/", CodeRefusedAddress, "unspecified"},
		{"IPv6 unspecified", strict, "http://[::]/", CodeRefusedAddress, "unspecified"},
		{"multicast", strict, "http://224.0.0.1/", CodeRefusedAddress, "multicast"},
		{"IPv6 multicast", strict, "http://[ff02::1]/", CodeRefusedAddress, "multicast"},
		{"broadcast", strict, "http://255.255.255.255/", CodeRefusedAddress, "broadcast"},
		{"broadcast decimal", strict, "http://4294967295/", CodeRefusedAddress, "broadcast"},
		{"reserved", strict, "http://240.0.0.1/", CodeRefusedAddress, "reserved"},

		// Invalid URLs.
		{"ftp", strict, "ftp://example.com/a.png", CodeInvalidURL, `scheme "ftp" is not allowed`},
		{"file", strict, "file:///etc/passwd", CodeInvalidURL, "not allowed"},
		{"gopher", strict, "gopher://127.0.0.1:6379/_FLUSHALL", CodeInvalidURL, "not allowed"},
		{"javascript", strict, "javascript:alert(1)", CodeInvalidURL, "not allowed"},
		{"relative", strict, "/media/a.png", CodeInvalidURL, "not an absolute URL"},
		{"scheme-relative", strict, "//example.com/a.png", CodeInvalidURL, "not an absolute URL"},
		{"no host", strict, "http:///a.png", CodeInvalidURL, "no host"},
		{"opaque", strict, "http:example.com", CodeInvalidURL, "not a valid http URL"},
		{"garbage", strict, "http://exa mple.com/", CodeInvalidURL, "not a valid URL"},
		{"octet over 255", strict, "http://256.0.0.1/", CodeInvalidURL, "not a valid IPv4 address"},
		{"five parts", strict, "http://1.2.3.4.5/", CodeInvalidURL, "not a valid IPv4 address"},
		{"over 32 bits", strict, "http://0x100000000/", CodeInvalidURL, "not a valid IPv4 address"},
		{"bad octal digit", strict, "http://08.0.0.1/", CodeInvalidURL, "not a valid IPv4 address"},
		{"empty part", strict, "http://1..2.3/", CodeInvalidURL, "not a valid IPv4 address"},
		{"odd spelling of public", strict, "http://0x08.0x08.0x08.0x08/", CodeInvalidURL, "write it as 8.8.8.8"},
		{"decimal public", strict, "http://134744072/", CodeInvalidURL, "write it as 8.8.8.8"},
		{"bad IPv6", strict, "http://[1:2:3]/", CodeInvalidURL, ""},

		// AllowPrivateNetworks (development) and explicit Allow prefixes.
		{"dev loopback", private, "http://127.0.0.1:8080/", "", ""},
		{"dev localhost", private, "http://localhost:8080/", "", ""},
		{"dev private", private, "http://10.1.2.3/", "", ""},
		{"dev IPv6 loopback", private, "http://[::1]/", "", ""},
		{"dev unique local", private, "http://[fd12::1]/", "", ""},
		{"dev mapped loopback", private, "http://[::ffff:127.0.0.1]/", "", ""},
		{"dev still refuses metadata", private, "http://169.254.169.254/", CodeRefusedAddress, "cloud metadata"},
		{"dev still refuses metadata v6", private, "http://[fd00:ec2::254]/", CodeRefusedAddress, "cloud metadata"},
		{"dev still refuses unspecified", private, "http://0.0.0.0:8080/", CodeRefusedAddress, "unspecified"},
		{"dev still refuses multicast", private, "http://239.1.1.1/", CodeRefusedAddress, "multicast"},
		{"dev still refuses IPv4-compatible", private, "http://[::127.0.0.1]/", CodeRefusedAddress, "IPv4-compatible"},
		{"dev refuses odd spellings", private, "http://2130706433/", CodeInvalidURL, "write it as 127.0.0.1"},
		{"allow prefix", allow2, "http://127.0.0.2:9000/", "", ""},
		{"allow prefix v6", allow2, "http://[fd12::5]/", "", ""},
		{"outside allow prefix", allow2, "http://127.0.0.1:9000/", CodeRefusedAddress, "loopback"},
		{"allow prefix with mapped", allow2, "http://[::ffff:127.0.0.2]/", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := tt.policy.CheckURL(tt.url)
			if tt.code == "" {
				if err != nil {
					t.Fatalf("CheckURL(%q) = %v, want allowed", tt.url, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("CheckURL(%q) allowed, want %s", tt.url, tt.code)
			}
			if got := CodeOf(err); got != tt.code {
				t.Errorf("CheckURL(%q) code = %q, want %q (%v)", tt.url, got, tt.code, err)
			}
			if !strings.Contains(err.Error(), tt.reason) {
				t.Errorf("CheckURL(%q) = %q, want it to contain %q", tt.url, err, tt.reason)
			}
		})
	}
}

func TestParseIPv4Loose(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want string // "" = invalid
	}{
		{"1.2.3.4", "1.2.3.4"},
		{"16909060", "1.2.3.4"},
		{"0x01020304", "1.2.3.4"},
		{"1.0x20304", "1.2.3.4"},
		{"1.2.0x304", "1.2.3.4"},
		{"01.02.03.04", "1.2.3.4"},
		{"0x1.0x2.0x3.0x4", "1.2.3.4"},
		{"0x.0x.0x.0x", "0.0.0.0"},
		{"1.2.3.4.", "1.2.3.4"},
		{"4294967295", "255.255.255.255"},
		{"4294967296", ""},
		{"1.16777216", ""},
		{"1.2.65536", ""},
		{"1.2.3.256", ""},
		{"256.1", ""},
		{"09", ""},
		{"0xg", ""},
		{"", ""},
		{".", ""},
		{"1.2.3.4..", ""},
	}
	for _, tt := range tests {
		a, ok := parseIPv4Loose(tt.in)
		got := ""
		if ok {
			got = a.String()
		}
		if got != tt.want {
			t.Errorf("parseIPv4Loose(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestControl(t *testing.T) {
	t.Parallel()
	p := AddressPolicy{}
	tests := []struct {
		network, address string
		refused          bool
	}{
		{"tcp4", "127.0.0.1:80", true},
		{"tcp6", "[::1]:443", true},
		{"tcp6", "[::ffff:10.0.0.1]:443", true},
		{"tcp4", "169.254.169.254:80", true},
		{"tcp4", "8.8.8.8:443", false},
		{"tcp6", "[2606:4700::1111]:443", false},
		{"udp4", "8.8.8.8:53", true},
		{"tcp", "not-an-address", true},
	}
	for _, tt := range tests {
		err := p.Control(tt.network, tt.address, nil)
		if (err != nil) != tt.refused {
			t.Errorf("Control(%s, %s) = %v, refused want %v", tt.network, tt.address, err, tt.refused)
		}
	}
	var ae *AddressError
	if err := p.Control("tcp4", "10.0.0.1:80", nil); !errors.As(err, &ae) || ae.Reason != "private network (RFC 1918)" {
		t.Errorf("Control error = %#v, want an *AddressError for a private network", err)
	}
}
