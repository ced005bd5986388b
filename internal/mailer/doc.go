// Package mailer sends Herald's few e-mails (invitation links) through an
// SMTP server named by a URL, with the standard library's net/smtp:
// smtp://user:pass@host:port upgrades with STARTTLS when the server offers
// it, smtps:// speaks TLS from the start. Credentials are only sent over TLS
// (or to the local machine), as net/smtp's PLAIN authentication insists.
package mailer
