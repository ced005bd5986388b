package safehttp

import (
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// AddressPolicy decides which IP addresses Herald may connect to on a user's
// behalf: media downloads, and the server URLs users supply to network
// adapters (Mastodon instances, PDS hosts, webhooks). The zero value is the
// safe default: only globally reachable unicast addresses.
type AddressPolicy struct {
	// AllowPrivateNetworks lets through loopback, private (RFC 1918), shared
	// (RFC 6598), link-local, unique-local and the other special-purpose
	// ranges, for development and tests (HERALD_ALLOW_PRIVATE_NETWORKS).
	// Unspecified, multicast, broadcast and reserved addresses, deprecated
	// IPv4-compatible IPv6 and the cloud metadata addresses stay refused:
	// none of them is ever a legitimate host to publish to or fetch from.
	AllowPrivateNetworks bool
	// Allow lists prefixes that are let through although they fall in a
	// refused range (an operator's internal media or API server). The addresses that
	// stay refused under AllowPrivateNetworks stay refused here too.
	Allow []netip.Prefix
	// AllowHosts lists host names (or IP literals) an operator named in a
	// setting, such as the S3 endpoint of the media store: whatever they
	// resolve to is let through as under AllowPrivateNetworks, for requests
	// to them only. The addresses that are never allowed stay refused.
	AllowHosts []string
}

// forHost returns the policy that applies to host: p itself, or p with
// private networks allowed if an operator named host in AllowHosts.
func (p AddressPolicy) forHost(host string) AddressPolicy {
	name := strings.TrimSuffix(strings.ToLower(strings.Trim(host, "[]")), ".")
	for _, h := range p.AllowHosts {
		if strings.TrimSuffix(strings.ToLower(strings.Trim(h, "[]")), ".") == name {
			p.AllowPrivateNetworks = true
			return p
		}
	}
	return p
}

// AddressError is a refusal by an AddressPolicy.
type AddressError struct {
	// Host is the name as written in the URL, when it differs from Addr.
	Host string
	// Addr is the refused address.
	Addr netip.Addr
	// Reason names the kind of address ("loopback", "private network (RFC 1918)").
	Reason string
	// Always is set for addresses refused whatever the settings (cloud
	// metadata, multicast, ...); the others HERALD_ALLOW_PRIVATE_NETWORKS
	// lets through.
	Always bool
	// Named is set when Host is a name (resolved by DNS), not a spelling of
	// an IP address.
	Named bool
}

// Error describes the refusal in full, resolved address included, for logs.
func (e *AddressError) Error() string {
	switch {
	case !e.Addr.IsValid():
		return fmt.Sprintf("refused address: %s is %s", e.Host, e.Reason)
	case e.Host != "" && e.Host != e.Addr.String():
		return fmt.Sprintf("refused address: %s is %s (%s)", e.Host, e.Addr, e.Reason)
	}
	return fmt.Sprintf("refused address: %s (%s)", e.Addr, e.Reason)
}

// SafeMessage says what Herald refused in words fit for the user who named
// the host: the host as written and the kind of address, and the setting
// that allows it. The address a name resolved to is not said: it belongs to
// the network Herald runs in (Error, which the log gets, has it).
func (e *AddressError) SafeMessage() string {
	subject := e.Host
	if subject == "" {
		subject = e.Addr.String()
	}
	detail := ""
	switch {
	case e.Named || !e.Addr.IsValid():
	case subject == e.Addr.String():
		detail = " (" + e.Reason + ")"
	default:
		detail = " (" + e.Addr.String() + ", " + e.Reason + ")"
	}
	if e.Always {
		if detail == "" {
			detail = " (such as a cloud metadata service)"
		}
		return fmt.Sprintf("Herald never connects to %s because it is an address that is never allowed%s", subject, detail)
	}
	return fmt.Sprintf("Herald does not connect to %s%s because it is a private or loopback address; an operator can allow this with HERALD_ALLOW_PRIVATE_NETWORKS=true", subject, detail)
}

// tier says how firmly an address is refused.
type tier int

const (
	tierPublic tier = iota // allowed
	tierInside             // allowed only with AllowPrivateNetworks or Allow
	tierNever              // always refused
)

type special struct {
	prefix netip.Prefix
	tier   tier
	reason string
}

// metadataAddrs are the cloud instance-metadata endpoints, refused whatever
// the settings: reaching one leaks the machine's credentials.
var metadataAddrs = []netip.Addr{
	netip.MustParseAddr("169.254.169.254"), // AWS, GCP, Azure, OpenStack, DigitalOcean, Oracle
	netip.MustParseAddr("169.254.170.2"),   // AWS ECS task metadata
	netip.MustParseAddr("100.100.100.200"), // Alibaba Cloud
	netip.MustParseAddr("192.0.0.192"),     // Oracle Cloud (legacy)
	netip.MustParseAddr("fd00:ec2::254"),   // AWS over IPv6
}

func mustPrefix(s string) netip.Prefix { return netip.MustParsePrefix(s) }

// specials lists the IANA special-purpose ranges (RFC 6890 and successors).
// Embedded-IPv4 forms (mapped, NAT64, 6to4) are handled in classify, before
// this table, so the embedded address decides.
var specials = []special{
	{mustPrefix("0.0.0.0/8"), tierNever, "unspecified (\"this network\")"},
	{mustPrefix("10.0.0.0/8"), tierInside, "private network (RFC 1918)"},
	{mustPrefix("100.64.0.0/10"), tierInside, "shared address space (carrier-grade NAT, RFC 6598)"},
	{mustPrefix("127.0.0.0/8"), tierInside, "loopback"},
	{mustPrefix("169.254.0.0/16"), tierInside, "link-local"},
	{mustPrefix("172.16.0.0/12"), tierInside, "private network (RFC 1918)"},
	{mustPrefix("192.0.0.0/24"), tierInside, "IETF protocol assignments"},
	{mustPrefix("192.0.2.0/24"), tierInside, "documentation range"},
	{mustPrefix("192.88.99.0/24"), tierInside, "6to4 relay anycast"},
	{mustPrefix("192.168.0.0/16"), tierInside, "private network (RFC 1918)"},
	{mustPrefix("198.18.0.0/15"), tierInside, "benchmarking range"},
	{mustPrefix("198.51.100.0/24"), tierInside, "documentation range"},
	{mustPrefix("203.0.113.0/24"), tierInside, "documentation range"},
	{mustPrefix("224.0.0.0/4"), tierNever, "multicast"},
	{mustPrefix("255.255.255.255/32"), tierNever, "broadcast"},
	{mustPrefix("240.0.0.0/4"), tierNever, "reserved"},

	{mustPrefix("::/128"), tierNever, "unspecified"},
	{mustPrefix("::1/128"), tierInside, "loopback"},
	{mustPrefix("::/96"), tierNever, "IPv4-compatible IPv6 (deprecated)"},
	{mustPrefix("64:ff9b:1::/48"), tierInside, "local-use NAT64"},
	{mustPrefix("100::/64"), tierInside, "discard-only range"},
	{mustPrefix("2001::/32"), tierInside, "Teredo tunnel"},
	{mustPrefix("2001:2::/48"), tierInside, "benchmarking range"},
	{mustPrefix("2001:10::/28"), tierInside, "ORCHID (not routable)"},
	{mustPrefix("2001:20::/28"), tierInside, "ORCHIDv2 (not routable)"},
	{mustPrefix("2001:db8::/32"), tierInside, "documentation range"},
	{mustPrefix("3fff::/20"), tierInside, "documentation range"},
	{mustPrefix("5f00::/16"), tierInside, "segment routing (SRv6) SIDs"},
	{mustPrefix("fc00::/7"), tierInside, "unique local (fc00::/7)"},
	{mustPrefix("fe80::/10"), tierInside, "link-local"},
	{mustPrefix("fec0::/10"), tierInside, "site-local (deprecated)"},
	{mustPrefix("ff00::/8"), tierNever, "multicast"},
}

var (
	prefixNAT64 = mustPrefix("64:ff9b::/96")
	prefix6to4  = mustPrefix("2002::/16")
)

// classify returns how firmly a is refused and why ("" for public).
func classify(a netip.Addr) (tier, string) {
	if !a.IsValid() {
		return tierNever, "invalid address"
	}
	if a.Zone() != "" {
		// A zone only makes sense for link-local and other scoped addresses.
		t, why := classify(a.WithZone(""))
		if t == tierPublic {
			return tierInside, "scoped address with zone " + a.Zone()
		}
		return t, why
	}
	for _, m := range metadataAddrs {
		if a == m {
			return tierNever, "cloud metadata service"
		}
	}
	if a.Is4In6() {
		t, why := classify(a.Unmap())
		if t == tierPublic {
			return t, ""
		}
		return t, fmt.Sprintf("IPv4-mapped IPv6 of %s, %s", a.Unmap(), why)
	}
	if a.Is6() {
		b := a.As16()
		var embedded netip.Addr
		var via string
		switch {
		case prefixNAT64.Contains(a):
			embedded, via = netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}), "NAT64"
		case prefix6to4.Contains(a):
			embedded, via = netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]}), "6to4"
		}
		if embedded.IsValid() {
			t, why := classify(embedded)
			if t == tierPublic {
				return t, ""
			}
			return t, fmt.Sprintf("%s address of %s, %s", via, embedded, why)
		}
	}
	for _, s := range specials {
		if s.prefix.Contains(a) {
			return s.tier, s.reason
		}
	}
	return tierPublic, ""
}

// CheckAddr returns an *AddressError if the policy refuses a, nil otherwise.
func (p AddressPolicy) CheckAddr(a netip.Addr) error {
	t, why := classify(a)
	switch t {
	case tierPublic:
		return nil
	case tierInside:
		if p.AllowPrivateNetworks {
			return nil
		}
		for _, pre := range p.Allow {
			if pre.Contains(a.WithZone("")) || (a.Is4In6() && pre.Contains(a.Unmap())) {
				return nil
			}
		}
	}
	return &AddressError{Addr: a, Reason: why, Always: t == tierNever}
}

// Control is a net.Dialer Control function: it runs after DNS resolution,
// just before the socket connects, so it sees the very address the
// connection goes to, whatever name, redirect or rebinding led there.
func (p AddressPolicy) Control(network, address string, _ syscall.RawConn) error {
	switch network {
	case "tcp", "tcp4", "tcp6":
	default:
		return fmt.Errorf("safehttp: refused network %q", network)
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("safehttp: refused unparsable address %q: %w", address, err)
	}
	return p.CheckAddr(ap.Addr())
}

// CheckURL parses raw and checks what can be checked before connecting: the
// scheme is http or https, the host is present and, if it is an IP address,
// the policy allows it. Odd spellings of IPv4 addresses that some resolvers
// accept (decimal 2130706433, octal 0177.0.0.1, hex 0x7f.1, short 127.1,
// full-width digits) are decoded the way browsers do (WHATWG URL): a refused
// address is reported as such, any other such spelling is refused as an
// invalid URL, because no two programs agree on what it means.
//
// The returned error is an *Error (CodeInvalidURL or CodeRefusedAddress). Names are checked again at connect time by Control.
func (p AddressPolicy) CheckURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, errorf(CodeInvalidURL, err, "not a valid URL")
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
	case "":
		return nil, errorf(CodeInvalidURL, nil, "not an absolute URL (it needs http:// or https://)")
	default:
		return nil, errorf(CodeInvalidURL, nil, "scheme %q is not allowed (only http and https)", u.Scheme)
	}
	if u.Opaque != "" {
		return nil, errorf(CodeInvalidURL, nil, "not a valid http URL")
	}
	if err := p.CheckHost(u.Hostname()); err != nil {
		return nil, err
	}
	return u, nil
}

// CheckHost checks a host name or IP literal (without port or brackets) as
// CheckURL does.
func (p AddressPolicy) CheckHost(host string) error {
	p = p.forHost(host)
	if host == "" {
		return errorf(CodeInvalidURL, nil, "the URL has no host")
	}
	// An IPv6 literal (the URL had brackets); zones arrive as "%eth0".
	if strings.Contains(host, ":") {
		a, err := netip.ParseAddr(host)
		if err != nil {
			return errorf(CodeInvalidURL, err, "%q is not a valid IPv6 address", host)
		}
		if err := p.CheckAddr(a); err != nil {
			return errorf(CodeRefusedAddress, err, "%s", err.(*AddressError).SafeMessage())
		}
		return nil
	}
	ascii := strings.ToLower(host)
	if !isASCII(host) {
		// Go's HTTP transport maps non-ASCII names with the same UTS 46
		// lookup profile before dialing, so this is the name it would use.
		mapped, err := idna.Lookup.ToASCII(host)
		if err != nil {
			return errorf(CodeInvalidURL, err, "%q is not a valid host name", host)
		}
		ascii = strings.ToLower(mapped)
	}
	if endsInNumber(ascii) {
		a, ok := parseIPv4Loose(ascii)
		if !ok {
			return errorf(CodeInvalidURL, nil, "%q is not a valid IPv4 address or host name", host)
		}
		if err := p.CheckAddr(a); err != nil {
			ae := err.(*AddressError)
			ae.Host = host
			return errorf(CodeRefusedAddress, ae, "%s", ae.SafeMessage())
		}
		if host != a.String() {
			return errorf(CodeInvalidURL, nil, "the host %q is a non-standard spelling of the IP address %s; write it as %s", host, a, a)
		}
		return nil
	}
	name := strings.TrimSuffix(ascii, ".")
	if (name == "localhost" || strings.HasSuffix(name, ".localhost")) && !p.AllowPrivateNetworks {
		// RFC 6761: these names always mean loopback, whatever DNS says.
		ae := &AddressError{Host: host, Reason: "loopback", Named: true}
		return errorf(CodeRefusedAddress, ae, "%s", ae.SafeMessage())
	}
	return nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// endsInNumber reports whether the last label of host is numeric, which the
// WHATWG URL standard takes to mean the host is an IPv4 address (there is no
// numeric top-level domain).
func endsInNumber(host string) bool {
	labels := strings.Split(host, ".")
	if labels[len(labels)-1] == "" {
		if len(labels) == 1 {
			return false
		}
		labels = labels[:len(labels)-1]
	}
	last := labels[len(labels)-1]
	if last != "" && strings.Trim(last, "0123456789") == "" {
		return true
	}
	if strings.HasPrefix(last, "0x") || strings.HasPrefix(last, "0X") {
		return strings.Trim(last[2:], "0123456789abcdefABCDEF") == ""
	}
	return false
}

// parseIPv4Loose parses an IPv4 address as inet_aton and the WHATWG URL
// standard do: one to four parts, each decimal, octal (leading 0) or hex
// (0x), the last part filling the remaining bytes. One trailing dot is allowed.
func parseIPv4Loose(host string) (netip.Addr, bool) {
	parts := strings.Split(host, ".")
	if len(parts) > 1 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	if len(parts) == 0 || len(parts) > 4 {
		return netip.Addr{}, false
	}
	nums := make([]uint64, len(parts))
	for i, part := range parts {
		if part == "" {
			return netip.Addr{}, false
		}
		base := 10
		switch {
		case strings.HasPrefix(part, "0x") || strings.HasPrefix(part, "0X"):
			part, base = part[2:], 16
			if part == "" {
				part = "0"
			}
		case len(part) > 1 && part[0] == '0':
			part, base = part[1:], 8
		}
		n, err := strconv.ParseUint(part, base, 64)
		if err != nil || n > 0xffffffff {
			return netip.Addr{}, false
		}
		nums[i] = n
	}
	var v uint64
	for i, n := range nums[:len(nums)-1] {
		if n > 255 {
			return netip.Addr{}, false
		}
		v |= n << (8 * (3 - i))
	}
	last := nums[len(nums)-1]
	if last >= 1<<(8*(5-len(nums))) {
		return netip.Addr{}, false
	}
	v |= last
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}), true
}
