package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gridd/gridd/internal/sim/simtest"
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

// TestSimulateAckLog: gridctl simulate against a stand-in gridd (which
// fails some first attempts) acknowledges every report, writes each id to
// the ack log once and prints the summary.
func TestSimulateAckLog(t *testing.T) {
	f := simtest.NewFake()
	srv := httptest.NewServer(f)
	defer srv.Close()
	ackLog := filepath.Join(t.TempDir(), "acks.txt")
	var out, errb bytes.Buffer
	code := Main(context.Background(), []string{"simulate", "--url", srv.URL, "--key", "k", "--rate", "50", "--duration", "2s",
		"--seed", "9", "--ack-log", ackLog, "--progress", "500ms", "--positions-every", "0", "--case-share", "0"},
		&env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(string) string { return "" }})
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	raw, err := os.ReadFile(ackLog)
	if err != nil {
		t.Fatal(err)
	}
	ids := strings.Fields(string(raw))
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			t.Errorf("id %s logged twice", id)
		}
		seen[id] = true
	}
	if len(ids) != 100 || len(f.ByKey) != 100 {
		t.Errorf("%d ids logged, %d reports stored, want 100", len(ids), len(f.ByKey))
	}
	if !strings.Contains(out.String(), "acknowledged 100 ") || !strings.Contains(out.String(), "latency ack") {
		t.Errorf("summary: %s", out.String())
	}
	if !strings.Contains(errb.String(), "t=") {
		t.Errorf("no progress lines: %s", errb.String())
	}
}
