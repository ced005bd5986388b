package clientaddr

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/heraldhq/herald"
)

func TestParseProxies(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
		wantErr        bool
	}{
		{"empty", "", "", false},
		{"blanks and commas", " , ,", "", false},
		{"one CIDR", "10.0.0.0/8", "10.0.0.0/8", false},
		{"several with spaces", " 10.0.0.0/8 , 192.168.1.0/24,fd00::/8 ", "10.0.0.0/8,192.168.1.0/24,fd00::/8", false},
		{"bare IPv4", "127.0.0.1", "127.0.0.1/32", false},
		{"bare IPv6", "::1", "::1/128", false},
		{"host bits masked", "10.1.2.3/8", "10.0.0.0/8", false},
		{"IPv4-mapped", "::ffff:10.0.0.0/104", "10.0.0.0/8", false},
		{"host name", "proxy.internal", "", true},
		{"bad prefix length", "10.0.0.0/33", "", true},
		{"zone", "fe80::1%eth0", "", true},
		{"garbage among good", "10.0.0.0/8,nope", "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, err := ParseProxies(tc.in)
			if (err != nil) != tc.wantErr {
				t.Fatalf("ParseProxies(%q) error = %v, want error %v", tc.in, err, tc.wantErr)
			}
			if err == nil && p.String() != tc.want {
				t.Errorf("ParseProxies(%q) = %q, want %q", tc.in, p.String(), tc.want)
			}
		})
	}
}

func TestClientAddr(t *testing.T) {
	t.Parallel()
	proxies, err := ParseProxies("10.0.0.0/8, fd00::/8")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		proxies Proxies
		remote  string
		xff     []string
		want    string
	}{
		{"socket", nil, "203.0.113.7:5000", nil, "203.0.113.7"},
		{"socket IPv6", nil, "[2001:db8::1]:5000", nil, "2001:db8::1"},
		{"socket IPv4-mapped", nil, "[::ffff:203.0.113.7]:5000", nil, "203.0.113.7"},
		{"untrusted peer's header ignored", nil, "203.0.113.7:5000", []string{"198.51.100.1"}, "203.0.113.7"},
		{"peer not in the list", proxies, "203.0.113.7:5000", []string{"198.51.100.1"}, "203.0.113.7"},
		{"trusted peer", proxies, "10.0.0.2:5000", []string{"198.51.100.1"}, "198.51.100.1"},
		{"trusted IPv6 peer", proxies, "[fd00::2]:5000", []string{"2001:db8::9"}, "2001:db8::9"},
		{"spoofed left part ignored", proxies, "10.0.0.2:5000", []string{"1.1.1.1, 198.51.100.1"}, "198.51.100.1"},
		{"chain of trusted proxies", proxies, "10.0.0.2:5000", []string{"1.1.1.1, 198.51.100.1, 10.0.0.3, 10.0.0.4"}, "198.51.100.1"},
		{"several header lines", proxies, "10.0.0.2:5000", []string{"1.1.1.1", "198.51.100.1, 10.0.0.3"}, "198.51.100.1"},
		{"port in entry", proxies, "10.0.0.2:5000", []string{"198.51.100.1:4444"}, "198.51.100.1"},
		{"bracketed IPv6 entry", proxies, "10.0.0.2:5000", []string{"[2001:db8::9]:80"}, "2001:db8::9"},
		{"no header", proxies, "10.0.0.2:5000", nil, "10.0.0.2"},
		{"all trusted", proxies, "10.0.0.2:5000", []string{"10.0.0.9"}, "10.0.0.9"},
		{"garbage right-most", proxies, "10.0.0.2:5000", []string{"198.51.100.1, unknown"}, "10.0.0.2"},
		{"garbage left of the client", proxies, "10.0.0.2:5000", []string{"evil, 198.51.100.1"}, "198.51.100.1"},
		{"garbage behind a trusted hop", proxies, "10.0.0.2:5000", []string{"nonsense, 10.0.0.3"}, "10.0.0.3"},
		{"unparseable socket", nil, "@", nil, "@"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tc.remote
			for _, v := range tc.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := tc.proxies.ClientAddr(r); got != tc.want {
				t.Errorf("ClientAddr = %q, want %q", got, tc.want)
			}
			var seen string
			tc.proxies.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				seen = FromRequest(r)
				if herald.ClientAddrFromContext(r.Context()) != seen {
					t.Errorf("context and FromRequest differ")
				}
			})).ServeHTTP(httptest.NewRecorder(), r)
			if seen != tc.want {
				t.Errorf("through Handler: %q, want %q", seen, tc.want)
			}
		})
	}
}

func TestTrusts(t *testing.T) {
	t.Parallel()
	p, err := ParseProxies("10.0.0.0/8, ::1")
	if err != nil {
		t.Fatal(err)
	}
	for addr, want := range map[string]bool{"10.1.2.3": true, "::1": true, "::ffff:10.0.0.1": true, "11.0.0.1": false, "127.0.0.1": false, "garbage": false, "": false} {
		if got := p.Trusts(addr); got != want {
			t.Errorf("Trusts(%q) = %v, want %v", addr, got, want)
		}
	}
}
