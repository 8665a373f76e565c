package mgmt

import (
	"bytes"
	"context"
	"encoding/base64"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// Every failed request is logged with its method, URL, status or
// transport error and duration; never the password or the Authorization
// header.
func TestFailedRequestsAreLoggedWithoutCredentials(t *testing.T) {
	const password = "s3cret-Pa55"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"error":"not_authorised","reason":"Login failed"}`))
	}))
	defer srv.Close()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String()
	l.Close()

	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	for _, u := range []string{srv.URL, closed} {
		c, err := New(Options{URLs: []string{u}, User: "ops", Password: password, Logger: log})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Overview(context.Background()); err == nil {
			t.Fatalf("%s: overview did not fail", u)
		}
	}
	out := buf.String()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("want one line per failed request, got:\n%s", out)
	}
	for _, want := range []string{"level=WARN", `msg="request failed"`, "method=GET", srv.URL + "/api/overview", "status=401", "Login failed", "took="} {
		if !strings.Contains(lines[0], want) {
			t.Errorf("401 line lacks %q: %s", want, lines[0])
		}
	}
	for _, want := range []string{closed + "/api/overview", "connection refused", "took="} {
		if !strings.Contains(lines[1], want) {
			t.Errorf("transport error line lacks %q: %s", want, lines[1])
		}
	}
	if strings.Contains(lines[1], "status=") {
		t.Errorf("a request with no answer has a status: %s", lines[1])
	}
	for _, secret := range []string{password, base64.StdEncoding.EncodeToString([]byte("ops:" + password)), "Authorization"} {
		if strings.Contains(out, secret) {
			t.Fatalf("the log holds %q:\n%s", secret, out)
		}
	}

	// No logger: nothing breaks.
	c, _ := New(Options{URLs: []string{srv.URL}, User: "ops", Password: password})
	if _, err := c.Overview(context.Background()); StatusOf(err) != 401 {
		t.Fatalf("err = %v", err)
	}
}
