package main

import (
	"context"
	"fmt"
	"time"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/fixtures"
)

// cmdFixtures generates a reference district bundle: Pukou, or the
// tower-cluster district the partitioner's goals are also measured on.
func cmdFixtures(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "fixtures")
	out := fs.String("out", "", "output folder (required)")
	seed := fs.Int64("seed", 1, "generator seed; the committed bundle is seed 1")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: gridctl fixtures pukou|towers --out DIR [--seed N]\n\nWrites a synthetic district bundle (deterministic for a seed): pukou, the reference\ndistrict, or towers, estates of 150-250-household towers (fixtures.Towers, DefaultTowers).")
		fs.PrintDefaults()
	}
	if len(args) == 0 {
		return fmt.Errorf("%w: want a district name (pukou or towers)", errUsage)
	}
	if args[0] == "-h" || args[0] == "--help" || args[0] == "-help" {
		return parseFlags(e, fs, args[:1])
	}
	district := args[0]
	if district != "pukou" && district != "towers" {
		return fmt.Errorf("%w: unknown district %q (pukou or towers)", errUsage, district)
	}
	if err := parseFlags(e, fs, args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	if *out == "" {
		return fmt.Errorf("%w: --out is required", errUsage)
	}
	start := time.Now()
	var b *bundle.Bundle
	if district == "towers" {
		b = fixtures.Towers(*seed, fixtures.DefaultTowers())
	} else {
		var err error
		if b, err = fixtures.Pukou(*seed); err != nil {
			return err
		}
	}
	if err := bundle.Write(*out, b); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "wrote %s: %d streets, %d communities, %d buildings, %d households, %d workers, %d patrols (%.1fs)\n",
		*out, len(b.Streets), len(b.Communities), len(b.Buildings), b.Households(), len(b.Workers), len(b.Patrols), time.Since(start).Seconds())
	return nil
}
