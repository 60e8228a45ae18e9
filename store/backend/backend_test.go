package backend

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gridd/gridd/errs"
)

func TestOpenGeoPackage(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new")
	o, err := Open(context.Background(), "", dir)
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	if o.Kind != "gpkg" {
		t.Fatalf("kind %q", o.Kind)
	}
	if _, err := os.Stat(filepath.Join(dir, GPKGFile)); err != nil {
		t.Fatal(err)
	}
}

func TestOpenNeither(t *testing.T) {
	_, err := Open(context.Background(), "", "")
	if !errs.Is(err, errs.Invalid) {
		t.Fatalf("no URL, no folder: %v, want Invalid", err)
	}
}

// TestOpenRetrying: an unreachable server is tried again with growing
// waits until the deadline; a malformed URL is not retried.
func TestOpenRetrying(t *testing.T) {
	var waits []time.Duration
	start := time.Now()
	// Nothing listens on port 1.
	_, err := OpenRetrying(context.Background(), "postgres://postgres@127.0.0.1:1/x?sslmode=disable&connect_timeout=1", "", Retry{
		For: 1500 * time.Millisecond, First: 100 * time.Millisecond, Max: 400 * time.Millisecond,
		OnFail: func(try int, err error, wait time.Duration) { waits = append(waits, wait) },
	})
	if !errs.Is(err, errs.Unavailable) {
		t.Fatalf("unreachable: %v, want Unavailable", err)
	}
	if len(waits) < 3 || waits[0] != 100*time.Millisecond || waits[1] != 200*time.Millisecond || waits[len(waits)-1] != 400*time.Millisecond {
		t.Fatalf("waits %v, want 100ms doubling to 400ms", waits)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("gave up after %v with a 1.5 s deadline", took)
	}
	waits = nil
	_, err = OpenRetrying(context.Background(), "postgres://%zz", "", Retry{For: time.Minute, OnFail: func(int, error, time.Duration) { waits = append(waits, 0) }})
	if !errs.Is(err, errs.Invalid) || len(waits) != 0 {
		t.Fatalf("malformed URL: %v after %d retries, want Invalid at once", err, len(waits))
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = OpenRetrying(ctx, "postgres://postgres@127.0.0.1:1/x?sslmode=disable", "", Retry{For: time.Minute})
	if err == nil {
		t.Fatalf("cancelled: %v", err)
	}
}
