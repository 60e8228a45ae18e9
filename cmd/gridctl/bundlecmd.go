package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/errs"
)

// cmdBundle validates a bundle folder: `gridctl bundle check DIR` prints
// every problem, one a line with file, feature or row and reason, and
// fails unless there are none.
func cmdBundle(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "bundle")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: gridctl bundle check DIR\n\nChecks a district bundle folder (syntax of every file, codes, tiling, references)\nand prints every problem; exits 0 only when there are none.")
	}
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
		return parseFlags(e, fs, args[:1])
	}
	if len(args) == 0 {
		return fmt.Errorf("%w: want a subcommand (check)", errUsage)
	}
	if args[0] != "check" {
		return fmt.Errorf("%w: unknown subcommand %q (check)", errUsage, args[0])
	}
	if err := parseFlags(e, fs, args[1:]); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("%w: want exactly one bundle folder, got %d arguments", errUsage, fs.NArg())
	}
	dir := fs.Arg(0)
	if st, err := os.Stat(dir); err != nil {
		return fmt.Errorf("cannot read bundle folder: %w", err)
	} else if !st.IsDir() {
		return fmt.Errorf("%s is not a folder", dir)
	}
	b, err := bundle.Read(dir)
	var probs errs.List
	if err != nil {
		if !errors.As(err, &probs) {
			return err
		}
	} else {
		probs = bundle.Check(b)
	}
	probs = append(probs, checkBundleShifts(dir, b)...)
	for _, p := range probs {
		fmt.Fprintf(e.stdout, "%s: %s\n", p.Field, p.Msg)
	}
	if len(probs) > 0 {
		return fmt.Errorf("%s: %d problem(s)", dir, len(probs))
	}
	fmt.Fprintf(e.stdout, "%s: ok: %d streets, %d communities, %d buildings, %d households, %d facilities, %d patrols, %d workers, %d departments\n",
		dir, len(b.Streets), len(b.Communities), len(b.Buildings), b.Households(), len(b.Facilities), len(b.Patrols), len(b.Workers), len(b.Departments))
	return nil
}
