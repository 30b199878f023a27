package identity

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// TokenStore keeps the newest App+User refresh token of each partner tenant across restarts. Entra may
// rotate the refresh token on every use; a worker that kept only the configured token would, after a
// restart, redeem a token months older than the one it last received. Implement it over a secret store
// (Key Vault, Vault, a Kubernetes secret) or use FileTokenStore.
type TokenStore interface {
	// Load returns the stored tokens by tenant id; none is not an error.
	Load() (map[string]string, error)
	// Save records the newest token of a tenant.
	Save(tenantID, refreshToken string) error
}

// FileTokenStore keeps refresh tokens in one JSON file readable by its owner only (0600, in a 0700
// directory when it creates one), replaced atomically on every save.
type FileTokenStore struct {
	Path string

	mu sync.Mutex
}

var _ TokenStore = (*FileTokenStore)(nil)

// Load reads the file; a missing file is an empty store.
func (s *FileTokenStore) Load() (map[string]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.load()
}

func (s *FileTokenStore) load() (map[string]string, error) {
	b, err := os.ReadFile(s.Path)
	if errors.Is(err, os.ErrNotExist) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read refresh tokens: %w", err)
	}
	if fi, err := os.Stat(s.Path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("refresh token file %s is readable by others (mode %o): chmod 600 it", s.Path, fi.Mode().Perm())
	}
	tokens := map[string]string{}
	if err := json.Unmarshal(b, &tokens); err != nil {
		// The error names the position only: the file holds secrets.
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			return nil, fmt.Errorf("refresh token file %s is not a JSON object of tenant id to token (error at byte %d)", s.Path, syn.Offset)
		}
		return nil, fmt.Errorf("refresh token file %s is not a JSON object of tenant id to token", s.Path)
	}
	return tokens, nil
}

// Save writes the tenant's token next to the others.
func (s *FileTokenStore) Save(tenantID, refreshToken string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	tokens, err := s.load()
	if err != nil {
		return err
	}
	tokens[strings.ToLower(tenantID)] = refreshToken
	b, err := json.Marshal(tokens)
	if err != nil {
		return err
	}
	dir := filepath.Dir(s.Path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("refresh token directory: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".refresh-tokens-*")
	if err != nil {
		return fmt.Errorf("save refresh tokens: %w", err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename there is nothing left to remove
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("save refresh tokens: %w", err)
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("save refresh tokens: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("save refresh tokens: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("save refresh tokens: %w", err)
	}
	if err := os.Rename(tmp.Name(), s.Path); err != nil {
		return fmt.Errorf("save refresh tokens: %w", err)
	}
	return nil
}
