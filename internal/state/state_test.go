package state

import (
	"os"
	"path/filepath"
	"testing"
)

func TestSortsRememberedPerContext(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mqtop", "state.yaml")
	s := Open(path)
	if got := s.Sorts("prod"); len(got) != 0 {
		t.Fatalf("nothing saved yet, got %v", got)
	}
	if err := s.SaveSort("prod", "queues", Sort{Key: "ready", Desc: true}); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveSort("dev", "queues", Sort{Key: "name"}); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveSort("prod", "exchanges", Sort{Key: "in", Desc: true}); err != nil {
		t.Fatal(err)
	}
	again := Open(path) // a new start
	prod := again.Sorts("prod")
	if prod["queues"] != (Sort{Key: "ready", Desc: true}) || prod["exchanges"] != (Sort{Key: "in", Desc: true}) {
		t.Fatalf("prod: %v", prod)
	}
	if dev := again.Sorts("dev"); dev["queues"] != (Sort{Key: "name"}) || len(dev) != 1 {
		t.Fatalf("dev: %v", dev)
	}
	if st, err := os.Stat(filepath.Dir(path)); err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("state directory: %v %v", st, err)
	}
}

func TestDamagedFileIsForgotten(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.yaml")
	if err := os.WriteFile(path, []byte("contexts: [not a map"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := Open(path)
	if got := s.Sorts("x"); len(got) != 0 {
		t.Fatalf("damaged file read as %v", got)
	}
	if err := s.SaveSort("x", "queues", Sort{Key: "messages", Desc: true}); err != nil {
		t.Fatal(err)
	}
	if got := Open(path).Sorts("x")["queues"]; got.Key != "messages" || !got.Desc {
		t.Fatalf("after saving over it: %v", got)
	}
}
