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

// DefaultRules returns a network's rule-table row: its package's, as the
// registry took it when the network was registered, else the shared table's.
func (a *Services) DefaultRules(id string) (provider.Rules, bool) {
	return a.providers.DefaultRules(id)
}

// Provider returns the network named name.
func (a *Services) Provider(name string) (provider.Provider, error) {
	if p, ok := a.providers.Get(name); ok {
		return p, nil
	}
	return nil, herald.Errorf(herald.EUNAVAILABLE, "Publishing to %s is not available on this Herald.", name)
}

// credentialAD binds sealed credentials to their profile, so that a
// ciphertext copied onto another row does not open.
func credentialAD(profileID string) []byte { return []byte("social_profile:" + profileID) }

// OpenAccount decrypts a profile's credentials into the account a provider
// works with. Rotated credentials are sealed and saved at once.
func (a *Services) OpenAccount(ctx context.Context, p *herald.SocialProfile) (*provider.Account, error) {
	if a.sealer == nil {
		return nil, herald.Errorf(herald.EUNAVAILABLE, "No secret key is configured.")
	}
	creds, err := a.sealer.Open(p.Credentials, credentialAD(p.ID))
	if err != nil {
		return nil, fmt.Errorf("open the credentials of profile %s: %w", p.ID, err)
	}
	acct := &provider.Account{ExternalID: p.ExternalID, Name: p.Name, Image: p.Image, Credentials: creds}
	acct.SaveCredentials = func(ctx context.Context, creds json.RawMessage) error {
		sealed, err := a.sealer.Seal(creds, credentialAD(p.ID))
		if err != nil {
			return err
		}
		// The network has already rotated the credentials (a Bluesky refresh
		// token works once): losing them would disconnect the account. The
		// save therefore outlives the attempt's deadline and the node's stop,
		// bounded by a timeout of its own; every query runs under it.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), saveCredentialsTimeout)
		defer cancel()
		err = a.store.InTx(ctx, func(tx store.Tx) error {
			cur, err := tx.FindSocialProfileByID(ctx, p.ID)
			if err != nil {
				return err
			}
			cur.Credentials, cur.UpdatedAt = sealed, a.Now()
			return tx.UpdateSocialProfile(ctx, cur)
		})
		if err == nil {
			p.Credentials = sealed
		}
		return err
	}
	return acct, nil
}

// saveCredentialsTimeout bounds the saving of rotated credentials, which
// does not end with the request or attempt that rotated them.
const saveCredentialsTimeout = 15 * time.Second

// ConnectProfile connects a social profile with credentials the user pastes
// (an access token, an app password, a webhook URL, a bot token). The
// provider checks them against the network first: a wrong one is a 400
// with the network's reason.
func (a *App) ConnectProfile(ctx context.Context, workspaceID string, body json.RawMessage) (*herald.SocialProfile, error) {
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
func (a *App) saveProfile(ctx context.Context, workspaceID, name string, acct *provider.Account) (*herald.SocialProfile, error) {
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
func (a *App) credentialNetworks() []string {
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
func (a *App) DeleteProfile(ctx context.Context, workspaceID, id string) error {
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

// PublishNow publishes a draft or scheduled post at once.
func (a *App) PublishNow(ctx context.Context, workspaceID, id string) (*herald.Post, error) {
	var p *herald.Post
	err := a.changePost(ctx, workspaceID, id, "publish posts", func(tx store.Tx, post *herald.Post) error {
		p = post
		if err := changeable(p, "published again"); err != nil {
			return err
		}
		if len(p.Targets) == 0 {
			return herald.Errorf(herald.EINVALID, "socialProfileIds: the post has no social profile to publish to")
		}
		now := a.Now()
		p.ScheduledAt = &now
		p.Status = herald.StatusScheduled
		return a.resetTargets(ctx, tx, p, func(*herald.PostTarget) bool { return true })
	})
	return p, err
}

// RetryPost publishes again the targets of a post that failed or whose
// outcome is unknown. For unknown ones the caller must confirm: the post may
// already be on the network.
func (a *App) RetryPost(ctx context.Context, workspaceID, id string, confirm bool) (*herald.Post, error) {
	var p *herald.Post
	err := a.changePost(ctx, workspaceID, id, "retry posts", func(tx store.Tx, post *herald.Post) error {
		p = post
		var unknown []string
		retry := 0
		for _, t := range p.Targets {
			switch {
			case t.State.Busy():
				return herald.Errorf(herald.ECONFLICT, "Post %q is being published to %s right now; try again when it is done.", p.ID, t.Provider)
			case t.State == herald.TargetNeedsAttention:
				unknown = append(unknown, describeTarget(t))
				retry++
			case t.State == herald.TargetFailed:
				retry++
			}
		}
		if retry == 0 {
			return herald.Errorf(herald.ECONFLICT, "Post %q has no failed target to retry.", p.ID)
		}
		if len(unknown) > 0 && !confirm {
			return herald.Errorf(herald.ECONFLICT, "Herald cannot tell whether post %q was published to %s. Check the account first; to publish it again anyway, send {\"confirm\": true}.", p.ID, strings.Join(unknown, ", "))
		}
		now := a.Now()
		p.ScheduledAt = &now
		p.Status = herald.StatusScheduled
		return a.resetTargets(ctx, tx, p, func(t *herald.PostTarget) bool {
			return t.State == herald.TargetFailed || t.State == herald.TargetNeedsAttention
		})
	})
	return p, err
}

// changePost runs fn on a post locked for change, for a writer of its
// workspace, in one transaction.
func (a *App) changePost(ctx context.Context, workspaceID, id, action string, fn func(tx store.Tx, p *herald.Post) error) error {
	return a.store.InTx(ctx, func(tx store.Tx) error {
		if herald.ValidID(id) {
			if err := tx.LockPost(ctx, id); err != nil && herald.ErrorCode(err) != herald.ENOTFOUND {
				return err
			}
		}
		p, m, err := a.findPost(ctx, tx, workspaceID, id)
		if err != nil {
			return err
		}
		if !m.Role.CanWrite() {
			return herald.Errorf(herald.EFORBIDDEN, "Your role in this workspace (%s) cannot %s.", m.Role, action)
		}
		return fn(tx, p)
	})
}

// resetTargets puts the chosen targets back to scheduled and requeues the
// post's publication under a new version.
func (a *App) resetTargets(ctx context.Context, tx store.Tx, p *herald.Post, which func(*herald.PostTarget) bool) error {
	now := a.Now()
	for _, t := range p.Targets {
		if !which(t) {
			continue
		}
		if t.Profile != nil && t.Profile.Status != herald.ProfileConnected {
			return herald.Errorf(herald.EINVALID, "socialProfileIds: the %s profile %q must be reconnected first", t.Provider, t.Profile.Name)
		}
		t.State, t.ErrorCode, t.ErrorMessage, t.LeaseUntil, t.NextAttemptAt, t.UpdatedAt = herald.TargetScheduled, "", "", nil, nil, now
		if err := tx.UpdatePostTarget(ctx, t); err != nil {
			return err
		}
	}
	p.UpdatedAt = now
	return a.requeue(ctx, tx, p, true)
}

// requeue cancels the post's queued jobs, bumps its version and queues its
// scheduled targets again, all in tx.
func (a *App) requeue(ctx context.Context, tx store.Tx, p *herald.Post, wasQueued bool) error {
	if wasQueued {
		if err := a.sched.Unschedule(ctx, tx, p); err != nil {
			return err
		}
	}
	p.Version++
	if err := tx.UpdatePost(ctx, p); err != nil {
		return err
	}
	if p.Status == herald.StatusScheduled {
		return a.sched.Schedule(ctx, tx, p)
	}
	return nil
}

// ResealCredentials encrypts every stored credential again under the
// sealer's first key (after a key rotation) and returns how many it
// rewrote. Rows already sealed with that key are left alone, so it can be
// run again after an interruption.
func (a *App) ResealCredentials(ctx context.Context) (int, error) {
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
