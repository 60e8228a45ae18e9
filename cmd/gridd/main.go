// Command gridd is the grid-management HTTP service: OGC API – Features,
// vector tiles, point location and health over the district held in
// PostGIS (DATABASE_URL) or, by default, an embedded GeoPackage under
// --data. On first start with an empty store it imports the Pukou
// reference district and its plan, so `go run ./cmd/gridd` serves a whole
// district.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := Main(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Main runs gridd and returns the exit code: 0 after a clean shutdown (or
// -h), 1 on failure, 2 on bad usage.
func Main(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	err := Run(ctx, args, getenv, stdout, nil)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintf(stderr, "gridd: %v (see gridd -h)\n", err)
		return 2
	default:
		fmt.Fprintf(stderr, "gridd: %v\n", err)
		return 1
	}
}
