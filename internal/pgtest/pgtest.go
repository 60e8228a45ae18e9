// Package pgtest gives a test a throw-away PostgreSQL cluster of its own
// (initdb into a temporary directory, pg_ctl on a free port) that it may
// stop and start at will — for fault tests that take the database away
// under a running gridd. Without PostgreSQL's server binaries or PostGIS
// the test is skipped with a message saying so (failed under
// GRIDD_TEST_REQUIRE=1, like internal/testenv).
package pgtest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gridd/gridd/internal/testenv"
)

// Cluster is a running (or stopped) throw-away cluster.
type Cluster struct {
	Bin  string // PostgreSQL's server binaries
	Dir  string // holds data/, the socket and the log
	Port int
	cred *syscall.Credential // run as the postgres user when the test runs as root
}

func missing(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if testenv.Required() {
		t.Fatalf("%s (GRIDD_TEST_REQUIRE=1: the test command must provide it)", msg)
	}
	t.Skipf("%s; install postgresql-15 and postgresql-15-postgis-3 to run it", msg)
}

// binDir finds initdb and pg_ctl: PG_BIN, then /usr/lib/postgresql/N/bin
// (the newest N), then PATH.
func binDir() string {
	if d := os.Getenv("PG_BIN"); d != "" {
		return d
	}
	if vs, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_ctl"); len(vs) > 0 {
		sort.Slice(vs, func(i, j int) bool {
			a, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(vs[i]))))
			b, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(vs[j]))))
			return a < b
		})
		return filepath.Dir(vs[len(vs)-1])
	}
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		return filepath.Dir(p)
	}
	return ""
}

// Start initialises and starts a cluster for t, with trust authentication
// for user postgres on 127.0.0.1; it is stopped and removed when t ends.
func Start(t testing.TB) *Cluster {
	t.Helper()
	bin := binDir()
	if bin == "" {
		missing(t, "PostgreSQL's server binaries (initdb, pg_ctl) are not installed")
	}
	for _, x := range []string{"initdb", "pg_ctl", "postgres"} {
		if _, err := os.Stat(filepath.Join(bin, x)); err != nil {
			missing(t, "%s is not in %s", x, bin)
		}
	}
	// Not t.TempDir(): the cluster's owner must be able to reach it, and
	// initdb refuses to run as root.
	dir, err := os.MkdirTemp("", "gridd-pgtest-")
	if err != nil {
		t.Fatal(err)
	}
	c := &Cluster{Bin: bin, Dir: dir}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			os.RemoveAll(dir)
			missing(t, "running as root and there is no postgres user to run the cluster as")
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		c.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		_ = c.run("pg_ctl", "-D", c.data(), "-m", "immediate", "-w", "stop")
		os.RemoveAll(dir)
	})
	if out, err := c.output("initdb", "-D", c.data(), "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8"); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	c.Port = freePort(t)
	c.StartAgain(t)
	return c
}

func (c *Cluster) data() string { return filepath.Join(c.Dir, "data") }

func (c *Cluster) cmd(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(c.Bin, name), args...)
	cmd.Dir = c.Dir
	if c.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	}
	return cmd
}

func (c *Cluster) output(name string, args ...string) ([]byte, error) {
	return c.cmd(name, args...).CombinedOutput()
}

func (c *Cluster) run(name string, args ...string) error {
	_, err := c.output(name, args...)
	return err
}

// StartAgain starts the (stopped) cluster on its port and waits until it
// accepts connections.
func (c *Cluster) StartAgain(t testing.TB) {
	t.Helper()
	// fsync off: the tests take the server down cleanly (pg_ctl stop) or
	// kill gridd, never the machine.
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c max_connections=200", c.Port, c.Dir)
	if out, err := c.output("pg_ctl", "-D", c.data(), "-o", opts, "-l", filepath.Join(c.Dir, "log"), "-w", "-t", "60", "start"); err != nil {
		log, _ := os.ReadFile(filepath.Join(c.Dir, "log"))
		t.Fatalf("pg_ctl start: %v\n%s\n%s", err, out, log)
	}
}

// Stop stops the cluster with pg_ctl stop -m fast (clients are
// disconnected, the server shuts down cleanly).
func (c *Cluster) Stop(t testing.TB) {
	t.Helper()
	if out, err := c.output("pg_ctl", "-D", c.data(), "-m", "fast", "-w", "stop"); err != nil {
		t.Fatalf("pg_ctl stop: %v\n%s", err, out)
	}
}

// DSN is the URL of database db on the cluster.
func (c *Cluster) DSN(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.Port, db)
}

// CreateDB creates database name with the postgis extension and returns
// its DSN; without PostGIS installed the test is skipped.
func (c *Cluster) CreateDB(t testing.TB, name string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	admin, err := pgx.Connect(ctx, c.DSN("postgres"))
	if err != nil {
		t.Fatalf("connect to the test cluster: %v", err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatalf("create database: %v", err)
	}
	conn, err := pgx.Connect(ctx, c.DSN(name))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE EXTENSION postgis"); err != nil {
		if strings.Contains(err.Error(), "postgis") {
			missing(t, "PostGIS is not installed for this PostgreSQL: %v", err)
		}
		t.Fatal(err)
	}
	return c.DSN(name)
}

func freePort(t testing.TB) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
