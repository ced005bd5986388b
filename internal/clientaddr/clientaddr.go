// Package clientaddr finds the network address of the client behind an HTTP
// request, for rate limits and sign-in throttling. The address is the
// socket's, unless the socket's peer is a reverse proxy the operator trusts
// (HERALD_TRUSTED_PROXIES): then it is the right-most address of
// X-Forwarded-For that is not itself a trusted proxy. Addresses further left
// were written by the client and prove nothing.
package clientaddr

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/heraldhq/herald"
)

// Proxies are the networks of the reverse proxies whose X-Forwarded-For is
// believed. The zero value trusts nobody.
type Proxies []netip.Prefix

// ParseProxies parses a comma-separated list of CIDRs ("10.0.0.0/8,
// fd00::/8"); a bare address means that one address. "" trusts nobody.
func ParseProxies(s string) (Proxies, error) {
	var out Proxies
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if !strings.Contains(f, "/") {
			a, err := netip.ParseAddr(f)
			if err != nil || a.Zone() != "" {
				return nil, fmt.Errorf("%q is not a CIDR (such as 10.0.0.0/8) or an IP address", f)
			}
			a = a.Unmap()
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			return nil, fmt.Errorf("%q is not a CIDR (such as 10.0.0.0/8) or an IP address", f)
		}
		if p.Addr().Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// String returns the list as ParseProxies reads it.
func (p Proxies) String() string {
	s := make([]string, len(p))
	for i, x := range p {
		s[i] = x.String()
	}
	return strings.Join(s, ",")
}

// Trusts reports whether addr ("10.0.0.2", "::1") is a trusted proxy.
func (p Proxies) Trusts(addr string) bool {
	a, err := netip.ParseAddr(addr)
	return err == nil && p.trusts(a.Unmap())
}

func (p Proxies) trusts(a netip.Addr) bool {
	for _, n := range p {
		if n.Contains(a) {
			return true
		}
	}
	return false
}

// ClientAddr returns the client's address ("203.0.113.7", "2001:db8::1"),
// taken from the socket, or from X-Forwarded-For when the socket's peer is
// a trusted proxy. A socket address that does not parse is returned as is.
func (p Proxies) ClientAddr(r *http.Request) string {
	peer, ok := parseAddr(r.RemoteAddr)
	if !ok {
		if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
			return host
		}
		return r.RemoteAddr
	}
	if len(p) == 0 || !p.trusts(peer) {
		return peer.String()
	}
	// Each proxy appends the address it was reached from: walk from the
	// right past our own proxies to the first address one of them saw.
	client := peer
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, ok := parseAddr(strings.TrimSpace(hops[i]))
		if !ok {
			break // garbage: keep the last address a trusted proxy vouched for
		}
		client = a
		if !p.trusts(a) {
			break
		}
	}
	return client.String()
}

// parseAddr reads "1.2.3.4", "1.2.3.4:80", "::1", "[::1]:80" or "[::1]",
// without zone, with IPv4-mapped IPv6 addresses as IPv4.
func parseAddr(s string) (netip.Addr, bool) {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), ap.Addr().Zone() == ""
	}
	s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

// Handler puts the client's address on each request's context, where
// FromRequest and herald.ClientAddrFromContext find it.
func (p Proxies) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(herald.NewContextWithClientAddr(r.Context(), p.ClientAddr(r))))
	})
}

// FromRequest returns the client address that Handler found, or the
// socket's when the request did not pass through Handler.
func FromRequest(r *http.Request) string {
	if a := herald.ClientAddrFromContext(r.Context()); a != "" {
		return a
	}
	return Proxies(nil).ClientAddr(r)
}
