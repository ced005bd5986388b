package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/provider"
	"github.com/heraldhq/herald/internal/safehttp"
	"github.com/heraldhq/herald/internal/store"
)

// saveCredentialsTimeout bounds the saving of rotated credentials, which
// does not end with the request or attempt that rotated them.
const saveCredentialsTimeout = 15 * time.Second

// ConnectProfile connects a social profile with credentials the user pastes
// (an access token, an app password, a webhook URL, a bot token). The
// provider checks them against the network first: a wrong one is a 400
// with the network's reason.
func (a *Connections) ConnectProfile(ctx context.Context, workspaceID string, body json.RawMessage) (*herald.SocialProfile, error) {
	if _, err := a.manager(ctx, a.store, workspaceID, "connect social profiles"); err != nil {
		return nil, err
	}
	var head struct {
		Provider string `json:"provider"`
	}
	if err := json.Unmarshal(body, &head); err != nil || head.Provider == "" {
		return nil, herald.Errorf(herald.EINVALID, "provider: is required (%s)", strings.Join(a.credentialNetworks(), ", "))
	}
	name := a.normalizeProvider(head.Provider)
	prov, err := a.Provider(name)
	if d, ok := a.descriptor(name); err != nil || !ok || d.Connect.Credentials == nil {
		return nil, herald.Errorf(herald.EINVALID, "provider: %q cannot be connected with credentials; use one of %s", head.Provider, strings.Join(a.credentialNetworks(), ", "))
	}
	if err := checkConnectBody(prov.Describe(), body); err != nil {
		return nil, err
	}
	if a.sealer == nil {
		return nil, herald.Errorf(herald.EUNAVAILABLE, "No secret key is configured.")
	}
	acct, err := prov.Connect(ctx, body)
	if err != nil {
		return nil, connectError(a.displayName(name), connectInput(body), err)
	}
	return a.saveProfile(ctx, workspaceID, name, acct)
}

// saveProfile stores a connected account; connecting the same account again
// refreshes its credentials.
func (a *Connections) saveProfile(ctx context.Context, workspaceID, name string, acct *provider.Account) (*herald.SocialProfile, error) {
	now := a.Now()
	p := &herald.SocialProfile{ID: herald.NewID(), WorkspaceID: workspaceID, Provider: name, Name: acct.Name, Image: acct.Image,
		ExternalID: acct.ExternalID, Status: herald.ProfileConnected, CreatedAt: now, UpdatedAt: now}
	if p.Name == "" {
		p.Name = acct.ExternalID
	}
	err := a.store.InTx(ctx, func(tx store.Tx) error {
		existing, err := tx.FindSocialProfiles(ctx, workspaceID)
		if err != nil {
			return err
		}
		for _, e := range existing {
			if e.Provider == name && e.ExternalID == acct.ExternalID {
				p = e
				p.Name, p.Image, p.Status, p.StatusMessage, p.UpdatedAt = acct.Name, acct.Image, herald.ProfileConnected, "", now
				if p.Name == "" {
					p.Name = acct.ExternalID
				}
				if p.Credentials, err = a.sealer.Seal(acct.Credentials, credentialAD(p.ID)); err != nil {
					return err
				}
				return tx.UpdateSocialProfile(ctx, p)
			}
		}
		if p.Credentials, err = a.sealer.Seal(acct.Credentials, credentialAD(p.ID)); err != nil {
			return err
		}
		return tx.CreateSocialProfile(ctx, p)
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// checkConnectBody checks a connect body against the fields the network
// describes (provider.Connect.Credentials): each is text, the required ones
// are there, and no other field is.
func checkConnectBody(d provider.Descriptor, body json.RawMessage) error {
	var fields map[string]any
	if err := json.Unmarshal(body, &fields); err != nil {
		return herald.Errorf(herald.EINVALID, "body: is not a JSON object")
	}
	names := make([]string, 0, len(d.Connect.Credentials))
	for _, f := range d.Connect.Credentials {
		names = append(names, f.Name)
		v, ok := fields[f.Name]
		if _, isText := v.(string); ok && !isText {
			return herald.Errorf(herald.EINVALID, "%s: must be a string", f.Name)
		}
		if f.Required && (!ok || strings.TrimSpace(v.(string)) == "") {
			return herald.Errorf(herald.EINVALID, "%s: is required to connect %s (%s)", f.Name, d.Name, f.Doc)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(fields)) {
		if k != "provider" && !slices.Contains(names, k) {
			return herald.Errorf(herald.EINVALID, "%s: unknown field; %s takes %s", k, d.ID, orNone(names))
		}
	}
	return nil
}

// credentialNetworks lists the registered networks connected with
// credentials.
func (a *base) credentialNetworks() []string {
	var out []string
	for _, d := range a.Networks() {
		if d.Connect.Credentials != nil {
			out = append(out, d.ID)
		}
	}
	return out
}

// connectError turns a provider's refusal into a 400 with the network's
// reason; networkName is how people call the network. input holds the user's fields (the JSON object of the connect
// request, the server named on the web page): a host Herald refused is
// reported under the field that named it, saying which setting allows it,
// and never with the address it resolved to.
func connectError(networkName string, input map[string]string, err error) error {
	var ae *safehttp.AddressError
	var pe *provider.Error
	var he *herald.Error
	switch {
	case errors.As(err, &ae):
		field := fieldNaming(input, ae)
		if field == "" {
			field = networkName
		}
		return &herald.Error{Code: herald.EINVALID, Message: field + ": " + ae.SafeMessage(), Err: err}
	case errors.As(err, &he):
		return err
	case errors.As(err, &pe):
		msg := pe.Message
		if msg == "" {
			msg = pe.Kind.String() // the cause (pe.Err) may hold addresses: it goes to the log only
		}
		return &herald.Error{Code: herald.EINVALID, Message: fmt.Sprintf("%s refused the credentials: %s", networkName, msg), Err: err}
	}
	return &herald.Error{Code: herald.EUNAVAILABLE, Message: fmt.Sprintf("Could not connect to %s; try again later.", networkName), Err: err}
}

// connectInput returns the string fields of a connect request's JSON
// object, for connectError.
func connectInput(body json.RawMessage) map[string]string {
	var m map[string]any
	json.Unmarshal(body, &m)
	out := map[string]string{}
	for k, v := range m {
		if s, ok := v.(string); ok {
			out[k] = s
		}
	}
	return out
}

// fieldNaming returns the input field whose URL (or bare host) is the host
// that ae refused, or "".
func fieldNaming(input map[string]string, ae *safehttp.AddressError) string {
	want := ae.Host
	if want == "" {
		want = ae.Addr.String()
	}
	want = strings.TrimSuffix(strings.ToLower(want), ".")
	for _, k := range slices.Sorted(maps.Keys(input)) {
		v := strings.TrimSpace(input[k])
		host := v
		if u, err := url.Parse(v); err == nil && u.Host != "" {
			host = u.Hostname()
		} else if u, err := url.Parse("https://" + v); err == nil && u.Host != "" {
			host = u.Hostname()
		}
		if strings.TrimSuffix(strings.ToLower(host), ".") == want {
			return k
		}
	}
	return ""
}

// DeleteProfile disconnects a social profile. A profile that scheduled
// posts still target cannot be deleted until they no longer do.
func (a *Connections) DeleteProfile(ctx context.Context, workspaceID, id string) error {
	return a.store.InTx(ctx, func(tx store.Tx) error {
		if _, err := a.manager(ctx, tx, workspaceID, "disconnect social profiles"); err != nil {
			return err
		}
		p, err := inWorkspace(tx.FindSocialProfileByID, ctx, workspaceID, id, "Social profile", func(p *herald.SocialProfile) string { return p.WorkspaceID })
		if err != nil {
			return err
		}
		n, err := tx.CountPendingTargets(ctx, id)
		if err != nil {
			return err
		}
		if n > 0 {
			return herald.Errorf(herald.ECONFLICT, "%d scheduled post(s) still target the %s profile %q; delete them or remove the profile from them first.", n, p.Provider, p.Name)
		}
		return tx.DeleteSocialProfile(ctx, id)
	})
}

// ResealCredentials encrypts every stored credential again under the
// sealer's first key (after a key rotation) and returns how many it
// rewrote. Rows already sealed with that key are left alone, so it can be
// run again after an interruption.
func (a *Connections) ResealCredentials(ctx context.Context) (int, error) {
	if a.sealer == nil {
		return 0, herald.Errorf(herald.EUNAVAILABLE, "No secret key is configured.")
	}
	n := 0
	profiles, err := a.store.FindAllSocialProfiles(ctx)
	if err != nil {
		return 0, err
	}
	for _, p := range profiles {
		if len(p.Credentials) == 0 || !a.sealer.NeedsReseal(p.Credentials) {
			continue
		}
		err := a.store.InTx(ctx, func(tx store.Tx) error {
			cur, err := tx.FindSocialProfileByID(ctx, p.ID)
			if err != nil {
				return err
			}
			if cur.Credentials, err = a.sealer.Reseal(cur.Credentials, credentialAD(p.ID)); err != nil {
				return fmt.Errorf("profile %s: %w", p.ID, err)
			}
			return tx.UpdateSocialProfile(ctx, cur)
		})
		if err != nil {
			return n, err
		}
		n++
	}
	apps, err := a.store.FindAllOAuthApps(ctx)
	if err != nil {
		return n, err
	}
	for _, app := range apps {
		if !a.sealer.NeedsReseal(app.ClientSecret) {
			continue
		}
		if app.ClientSecret, err = a.sealer.Reseal(app.ClientSecret, []byte("oauth_app:"+app.Server)); err != nil {
			return n, fmt.Errorf("OAuth app on %s: %w", app.Server, err)
		}
		if err := a.store.UpdateOAuthAppSecret(ctx, app); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}
