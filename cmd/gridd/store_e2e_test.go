package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gridd/gridd/store/backend"
	"github.com/gridd/gridd/store/storetest"
)

// TestSeedOnlyEmptyStore: a store holding another district and no plan is
// not seeded with Pukou; gridd serves that district without grids and
// /readyz says so.
func TestSeedOnlyEmptyStore(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	o, err := backend.Open(ctx, "", dir)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := storetest.ImportInput("另一区", 61)
	if err := o.ImportBundle(ctx, b); err != nil {
		t.Fatal(err)
	}
	o.Close()
	base := startGridd(t, []string{"--data", dir}, nil)
	code, m := getJSON(t, base+"/readyz")
	if code != 200 || m["status"] != "ready" || m["grids"] != "none: no plan is published" {
		t.Fatalf("readyz %d %v; want ready without grids", code, m)
	}
	_, m = getJSON(t, base+"/collections/communities/items?limit=1")
	if int(m["numberMatched"].(float64)) != len(b.Communities) {
		t.Errorf("%v communities served, the store's district has %d (was it seeded over?)", m["numberMatched"], len(b.Communities))
	}
	_, m = getJSON(t, base+"/collections/grids/items?limit=1")
	if int(m["numberMatched"].(float64)) != 0 {
		t.Errorf("%v grids served, want none", m["numberMatched"])
	}
}

// pgCluster is a throw-away PostgreSQL cluster the test owns, so that it
// can stop and start the server (never the shared one).
type pgCluster struct {
	bin, dir string
	port     int
}

func newCluster(t *testing.T) *pgCluster {
	t.Helper()
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(bins) == 0 {
		if os.Getenv("GRIDD_TEST_REQUIRE") != "" {
			t.Fatal("no initdb found")
		}
		t.Skip("no initdb found")
	}
	c := &pgCluster{bin: filepath.Dir(bins[len(bins)-1])}
	dir, err := os.MkdirTemp("", "gridd-pg-")
	if err != nil {
		t.Fatal(err)
	}
	c.dir = dir
	t.Cleanup(func() {
		_ = c.run("pg_ctl", "-D", c.dir, "-m", "immediate", "-w", "stop")
		os.RemoveAll(dir)
	})
	if os.Getuid() == 0 {
		if out, err := exec.Command("chown", "postgres:postgres", dir).CombinedOutput(); err != nil {
			t.Fatalf("chown: %v %s", err, out)
		}
	}
	if err := c.run("initdb", "-D", c.dir, "-U", "postgres", "--auth=trust", "-E", "UTF8"); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c.port = ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return c
}

// run runs a PostgreSQL program as user postgres.
func (c *pgCluster) run(prog string, args ...string) error {
	path := filepath.Join(c.bin, prog)
	var cmd *exec.Cmd
	if os.Getuid() == 0 {
		cmd = exec.Command("runuser", append([]string{"-u", "postgres", "--", path}, args...)...)
	} else {
		cmd = exec.Command(path, args...)
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s %s: %v\n%s", prog, strings.Join(args, " "), err, out)
	}
	return nil
}

func (c *pgCluster) start() error {
	return c.run("pg_ctl", "-D", c.dir, "-l", filepath.Join(c.dir, "log"), "-w", "-o",
		fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1", c.port, c.dir), "start")
}

func (c *pgCluster) stop() error { return c.run("pg_ctl", "-D", c.dir, "-m", "fast", "-w", "stop") }

func (c *pgCluster) url() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.port)
}

// TestPostgresOutage: gridd started while PostgreSQL is down retries
// (logging each try) and starts once it is up; while it is down again,
// /readyz answers 503 "degraded" (no writes routed here), /healthz 200 and
// reads are served from memory; when it is back, ready again. With the deadline passed, gridd gives up with an
// error.
func TestPostgresOutage(t *testing.T) {
	if testing.Short() {
		t.Skip("starts its own PostgreSQL")
	}
	c := newCluster(t)
	env := map[string]string{"DATABASE_URL": c.url()}

	// Down, with a short deadline: gridd gives up.
	start := time.Now()
	err := Run(context.Background(), []string{"--addr", "127.0.0.1:0", "--db-wait", "1s"}, func(k string) string { return env[k] }, &syncBuffer{}, nil)
	if err == nil || time.Since(start) > 20*time.Second {
		t.Fatalf("gridd with PostgreSQL down and --db-wait 1s: %v after %v; want an error within seconds", err, time.Since(start))
	}

	// Down at start, up two seconds later: gridd waits and starts.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	logs := &syncBuffer{}
	addrc := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, []string{"--addr", "127.0.0.1:0", "--db-wait", "2m", "--plan-poll", "1s"}, func(k string) string { return env[k] }, logs,
			func(a string) { addrc <- a })
	}()
	time.Sleep(2 * time.Second)
	if n := strings.Count(logs.String(), "store unreachable; retrying"); n < 2 {
		t.Fatalf("after 2 s of PostgreSQL down, %d retries logged; want each try logged\n%s", n, logs.String())
	}
	if err := c.start(); err != nil {
		t.Fatal(err)
	}
	var base string
	select {
	case a := <-addrc:
		base = "http://" + a
	case err := <-done:
		t.Fatalf("gridd exited: %v\n%s", err, logs.String())
	case <-time.After(3 * time.Minute):
		t.Fatalf("gridd did not start after PostgreSQL came up\n%s", logs.String())
	}
	if code, m := getJSON(t, base+"/readyz"); code != 200 || m["status"] != "ready" {
		t.Fatalf("readyz %d %v", code, m)
	}

	// Down while serving: degraded, reads from memory.
	if err := c.stop(); err != nil {
		t.Fatal(err)
	}
	code, m := getJSON(t, base+"/readyz")
	if code != 503 || m["status"] != "degraded" || m["store"] != "unreachable" || m["reads"] != "serving from memory" || m["writes"] != "failing" {
		t.Fatalf("readyz during the outage: %d %v", code, m)
	}
	if code, m := getJSON(t, base+"/healthz"); code != 200 {
		t.Errorf("healthz during the outage: %d %v", code, m)
	}
	if code, m := getJSON(t, base+"/locate?lon=118.62&lat=32.06"); code != 200 || m["community"] == nil {
		t.Errorf("locate during the outage: %d %v", code, m)
	}
	if code, _ := getJSON(t, base+"/collections/communities/items?limit=1"); code != 200 {
		t.Errorf("communities during the outage: %d", code)
	}

	// Back: ready again.
	if err := c.start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		code, m := getJSON(t, base+"/readyz")
		if code == 200 && m["status"] == "ready" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("readyz after PostgreSQL came back: %d %v", code, m)
		}
		time.Sleep(200 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("shutdown: %v", err)
	}
}
