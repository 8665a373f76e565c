// Package state keeps what mqtop remembers between starts: each view's sort
// order per context. It lives in $XDG_STATE_HOME/mqtop/state.yaml; a file
// that is missing or unreadable means "nothing remembered", never an error
// that stops mqtop.
package state

import (
	"os"
	"path/filepath"
	"sync"

	"gopkg.in/yaml.v3"
)

// Sort is a view's order.
type Sort struct {
	Key  string `yaml:"sort"`
	Desc bool   `yaml:"desc"`
}

type file struct {
	// Contexts: context name -> view name -> its sort.
	Contexts map[string]map[string]Sort `yaml:"contexts"`
}

// Store reads and writes the state file; it is safe for concurrent use.
type Store struct {
	path string
	mu   sync.Mutex
}

// Open names the state file; nothing is read yet.
func Open(path string) *Store { return &Store{path: path} }

func (s *Store) read() file {
	var f file
	if b, err := os.ReadFile(s.path); err == nil {
		_ = yaml.Unmarshal(b, &f) // a damaged file is forgotten, not fatal
	}
	if f.Contexts == nil {
		f.Contexts = map[string]map[string]Sort{}
	}
	return f
}

// Sorts returns the views' sorts remembered for a context.
func (s *Store) Sorts(context string) map[string]Sort {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]Sort{}
	for v, srt := range s.read().Contexts[context] {
		out[v] = srt
	}
	return out
}

// SaveSort remembers a view's sort for a context, replacing the file
// atomically so that two mqtops never leave half a file.
func (s *Store) SaveSort(context, view string, srt Sort) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.read()
	if f.Contexts[context] == nil {
		f.Contexts[context] = map[string]Sort{}
	}
	f.Contexts[context][view] = srt
	b, err := yaml.Marshal(f)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(s.path), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(s.path), ".state-*.yaml")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), s.path)
}
