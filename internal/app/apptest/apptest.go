// Package apptest builds application layers for tests of the packages that
// drive one (api, web, cli, mailer, publish and app itself).
package apptest

import (
	"testing"

	"github.com/heraldhq/herald/internal/app"
)

// New builds an app on sc that publishes nothing (app.NeverPublish),
// sending e-mail through mailer if one is given.
func New(t testing.TB, sc app.ServicesConfig, mailer ...app.Mailer) *app.App {
	t.Helper()
	svc, err := app.NewServices(sc)
	if err != nil {
		t.Fatal(err)
	}
	d := app.Deps{Services: svc, Scheduler: app.NeverPublish}
	if len(mailer) > 0 {
		d.Mailer = mailer[0]
	}
	return app.New(d)
}
