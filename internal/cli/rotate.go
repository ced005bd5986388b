package cli

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/secret"
)

// runRotateKey replaces the key that seals stored credentials and
// re-encrypts every credential under the new one.
//
// With the key file (the default), a new key is written to it and the old
// one is kept in secret.key.retired, so that nodes that have not restarted
// and anything sealed meanwhile still open. With HERALD_SECRET_KEY, the
// operator puts the new key first in the list; this command re-encrypts
// under it.
func runRotateKey(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet("rotate-key", e)
	build := config.Bind(fs, e.getenv, "data-dir", "database-url", "secret-key")
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, err := build()
	if err != nil {
		return usageError{err}
	}
	if cfg.SecretKey == "" {
		if err := rotateKeyFile(cfg); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "Wrote a new key to %s; the old one is kept in %s.\n", keyFile(cfg), retiredKeyFile(cfg))
	}
	sealer, err := loadSealer(cfg)
	if err != nil {
		return err
	}
	db, _, err := openStore(ctx, cfg, e.now())
	if err != nil {
		return err
	}
	defer db.Close()
	a, err := toolApp(db, sealer, e.now, slog.New(slog.NewTextHandler(e.stderr, nil)))
	if err != nil {
		return err
	}
	n, err := a.ResealCredentials(ctx)
	if err != nil {
		return fmt.Errorf("re-encrypt credentials (%d done; run the command again to finish): %w", n, err)
	}
	fmt.Fprintf(e.stdout, "Re-encrypted %d credential(s) with key %s. Restart every Herald node so that they seal with it too.\n", n, sealer.PrimaryKeyID())
	return nil
}

// rotateKeyFile moves the current key to the retired file and writes a new
// key in its place, each write atomic and private.
func rotateKeyFile(cfg *config.Config) error {
	old, err := secret.LoadOrCreateKeyFile(keyFile(cfg))
	if err != nil {
		return err
	}
	retired, err := readRetiredKeys(cfg)
	if err != nil {
		return err
	}
	content := ""
	for _, k := range append([]secret.Key{old}, retired...) {
		content += k.Encode() + "\n"
	}
	if err := writePrivate(retiredKeyFile(cfg), content); err != nil {
		return err
	}
	k, err := secret.GenerateKey()
	if err != nil {
		return err
	}
	return writePrivate(keyFile(cfg), k.Encode()+"\n")
}

func writePrivate(path, content string) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".key-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(fs.FileMode(0o600)); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.WriteString(content); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
