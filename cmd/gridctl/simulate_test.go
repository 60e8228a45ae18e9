package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
)

// TestSimulateUsage: bad flags are usage errors (exit 2); a server that
// serves no district fails the run (exit 1) saying so.
func TestSimulateUsage(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"--rate", "0"}, 2, "must be positive"},
		{[]string{"--duration", "-1s"}, 2, "must be positive"},
		{[]string{"--case-share", "1.5"}, 2, "in [0, 1]"},
		{[]string{"--rate", "x"}, 2, "invalid value"},
		{[]string{"extra"}, 2, "unexpected argument"},
		{[]string{"--url", srv.URL, "--duration", "1s", "--ack-log", filepath.Join(t.TempDir(), "acks")}, 1, "read the district"},
	} {
		var out, errb bytes.Buffer
		code := Main(context.Background(), append([]string{"simulate"}, tc.args...), &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb,
			getenv: func(string) string { return "" }})
		if code != tc.code || !strings.Contains(errb.String(), tc.msg) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tc.args, code, errb.String(), tc.code, tc.msg)
		}
	}
}
