package mailer_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"io"
	"log/slog"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/http/httptest"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/app/apptest"
	"github.com/heraldhq/herald/internal/store/sqlite/sqlitetest"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/app"
	"github.com/heraldhq/herald/internal/mailer"
)

// received is what the test server recorded of one session.
type received struct {
	tls      bool // the session was upgraded before MAIL
	auth     string
	from, to string
	data     string
}

// smtpServer is a tiny SMTP server on 127.0.0.1 that records messages. With
// a certificate it offers STARTTLS.
type smtpServer struct {
	addr string
	cert *tls.Certificate
	mu   sync.Mutex
	got  []received
}

func newSMTPServer(t *testing.T, cert *tls.Certificate) *smtpServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	s := &smtpServer{addr: ln.Addr().String(), cert: cert}
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(conn)
		}
	}()
	return s
}

func (s *smtpServer) messages() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.got...)
}

func (s *smtpServer) serve(conn net.Conn) {
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	r, w := bufio.NewReader(conn), bufio.NewWriter(conn)
	say := func(line string) { w.WriteString(line + "\r\n"); w.Flush() }
	var rec received
	say("220 test ESMTP")
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		cmd := strings.ToUpper(strings.SplitN(line, " ", 2)[0])
		switch cmd {
		case "EHLO", "HELO":
			w.WriteString("250-test\r\n")
			if s.cert != nil && !rec.tls {
				w.WriteString("250-STARTTLS\r\n")
			}
			say("250 AUTH PLAIN")
		case "STARTTLS":
			say("220 go ahead")
			tc := tls.Server(conn, &tls.Config{Certificates: []tls.Certificate{*s.cert}})
			if err := tc.Handshake(); err != nil {
				return
			}
			conn, r, w = tc, bufio.NewReader(tc), bufio.NewWriter(tc)
			rec.tls = true
		case "AUTH":
			b, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(line, "AUTH PLAIN "))
			rec.auth = string(b)
			say("235 ok")
		case "MAIL":
			rec.from = line
			say("250 ok")
		case "RCPT":
			rec.to = line
			say("250 ok")
		case "DATA":
			say("354 go ahead")
			var data strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				data.WriteString(strings.TrimPrefix(l, "."))
			}
			rec.data = data.String()
			s.mu.Lock()
			s.got = append(s.got, rec)
			s.mu.Unlock()
			say("250 queued")
		case "QUIT":
			say("221 bye")
			return
		default:
			say("502 unknown command")
		}
	}
}

// testCert returns a certificate for 127.0.0.1 and a pool that trusts it.
func testCert(t *testing.T) (*tls.Certificate, *x509.CertPool) {
	srv := httptest.NewTLSServer(nil)
	defer srv.Close()
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	return &srv.TLS.Certificates[0], pool
}

// body decodes a recorded message's body.
func body(t *testing.T, data string) (*mail.Message, string) {
	t.Helper()
	msg, err := mail.ReadMessage(strings.NewReader(data))
	if err != nil {
		t.Fatalf("message: %v\n%s", err, data)
	}
	b, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
	if err != nil {
		t.Fatal(err)
	}
	return msg, string(b)
}

func TestSendMail(t *testing.T) {
	t.Parallel()
	cert, pool := testCert(t)
	for _, tt := range []struct {
		name string
		cert *tls.Certificate
	}{
		{"plain", nil},
		{"STARTTLS offered", cert},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newSMTPServer(t, tt.cert)
			m, err := mailer.New(mailer.Config{URL: "smtp://herald:s3cret@" + srv.addr, From: "Herald <herald@example.org>", RootCAs: pool})
			if err != nil {
				t.Fatal(err)
			}
			subject := "Ada invited you\r\nBcc: evil@example.org"
			if err := m.SendMail(t.Context(), "ivy@example.org", subject, "Hello,\r\nopen https://herald.test/invitations/"+strings.Repeat("x", 80)+"\r\n"); err != nil {
				t.Fatal(err)
			}
			got := srv.messages()
			if len(got) != 1 {
				t.Fatalf("received %d messages, want 1", len(got))
			}
			r := got[0]
			if r.tls != (tt.cert != nil) {
				t.Errorf("TLS = %v, want %v", r.tls, tt.cert != nil)
			}
			if r.auth != "\x00herald\x00s3cret" || r.from != "MAIL FROM:<herald@example.org>" || !strings.HasPrefix(r.to, "RCPT TO:<ivy@example.org>") {
				t.Errorf("session = %+v", r)
			}
			msg, text := body(t, r.data)
			if s, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject")); !strings.HasPrefix(s, "Ada invited you") {
				t.Errorf("Subject = %q", s)
			}
			if msg.Header.Get("Bcc") != "" || msg.Header.Get("To") != "<ivy@example.org>" {
				t.Errorf("headers = %v: the subject added a header or the recipient is wrong", msg.Header)
			}
			if !strings.Contains(text, "https://herald.test/invitations/"+strings.Repeat("x", 80)) {
				t.Errorf("body = %q", text)
			}
		})
	}
}

func TestNewRefusesBadSettings(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ url, from, want string }{
		{"http://host", "a@b.c", "smtp-url"},
		{"smtp://", "a@b.c", "smtp-url"},
		{"smtp://host:25", "", "smtp-from"},
		{"smtp://host:25", "not an address", "smtp-from"},
	} {
		if _, err := mailer.New(mailer.Config{URL: tt.url, From: tt.from}); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("New(%q, %q) = %v, want an error about %s", tt.url, tt.from, err, tt.want)
		}
	}
}

// TestInvitationIsMailed invites with SMTP configured: the invitee gets the
// link by e-mail, the inviter does not, and the link works.
func TestInvitationIsMailed(t *testing.T) {
	t.Parallel()
	srv := newSMTPServer(t, nil)
	m, err := mailer.New(mailer.Config{URL: "smtp://" + srv.addr, From: "herald@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	s := sqlitetest.Open(t)
	a := apptest.New(t, app.ServicesConfig{Store: s, Config: app.Config{PublicURL: "https://herald.test"}, Now: time.Now, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}, m)
	res, err := a.Init(t.Context(), app.InitParams{Email: "ada@example.org", Name: "Ada", Workspace: "Engines"})
	if err != nil {
		t.Fatal(err)
	}
	u, _, _ := a.AuthenticateAPIKey(t.Context(), res.APIKey)
	inv, err := a.InviteMember(herald.NewContextWithUser(context.Background(), u), res.WorkspaceID, app.InviteParams{Email: "ivy@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	if inv.AcceptURL != "" {
		t.Errorf("acceptUrl = %q although the link was mailed", inv.AcceptURL)
	}
	got := srv.messages()
	if len(got) != 1 || !strings.HasPrefix(got[0].to, "RCPT TO:<ivy@example.org>") {
		t.Fatalf("messages = %+v", got)
	}
	msg, text := body(t, got[0].data)
	if s, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject")); !strings.Contains(s, "Engines") {
		t.Errorf("Subject = %q", s)
	}
	i := strings.Index(text, "https://herald.test/invitations/")
	if i < 0 {
		t.Fatalf("no link in %q", text)
	}
	token := strings.TrimPrefix(strings.Fields(text[i:])[0], "https://herald.test/invitations/")
	if info, err := a.FindInvitation(t.Context(), token); err != nil || info.Invitation.Email != "ivy@example.org" {
		t.Errorf("mailed link: %+v, %v", info, err)
	}
}
