// Package testenv gives tests the real services they need — a PostGIS
// database, GDAL's command-line tools, a browser — or skips them with a
// message saying how to run them. Under the README's test command
// (GRIDD_TEST_REQUIRE=1) a missing service fails the test instead, so that a
// green run proves the real parts were exercised.
package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Required reports whether the test command demands every real service.
func Required() bool { return os.Getenv("GRIDD_TEST_REQUIRE") == "1" }

func missing(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if Required() {
		t.Fatalf("%s (GRIDD_TEST_REQUIRE=1: the test command must provide it)", msg)
	}
	t.Skipf("%s; run `make test` to provision it", msg)
}

// PostGIS returns the DSN of a fresh, empty database with the postgis
// extension, dropped when the test ends. The server is the one named by
// TEST_DATABASE_URL.
func PostGIS(t testing.TB) string {
	t.Helper()
	admin := os.Getenv("TEST_DATABASE_URL")
	if admin == "" {
		missing(t, "TEST_DATABASE_URL is not set: PostGIS tests need a server")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		missing(t, "cannot reach PostGIS at TEST_DATABASE_URL: %v", err)
	}
	defer conn.Close(ctx)
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "gridd_t_" + hex.EncodeToString(b[:])
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, admin)
		if err != nil {
			t.Logf("drop test database %s: %v", name, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Logf("drop test database %s: %v", name, err)
		}
	})
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatalf("TEST_DATABASE_URL: %v", err)
	}
	u.Path = "/" + name
	dsn := u.String()
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect to test database: %v", err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, "CREATE EXTENSION IF NOT EXISTS postgis"); err != nil {
		missing(t, "PostGIS extension not available: %v", err)
	}
	return dsn
}

// Tool returns the path of an executable (ogrinfo, ogr2ogr, chromium, ...),
// or skips/fails the test when it is not installed.
func Tool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		missing(t, "%s is not installed", name)
	}
	return p
}
