// Command gridctl is the planners' and operators' tool: it generates and
// checks district bundles, partitions them into grids, locates points in
// bulk, and moves data into and out of the store.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
)

// command is one gridctl subcommand. run gets the arguments after the
// command's name; it returns errUsage (possibly wrapped) for bad flags.
type command struct {
	summary string
	run     func(ctx context.Context, env *env, args []string) error
}

// env is what a subcommand may touch: its streams and the environment, so
// tests can run commands in-process.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
}

// errUsage marks a command-line mistake: gridctl prints it and exits 2.
var errUsage = errors.New("usage")

// commands is the one place subcommands are registered.
func commands() map[string]command {
	return map[string]command{
		"import":   {"load a bundle (and a plan) into the store", cmdImport},
		"export":   {"write a plan's grids as GeoJSON or GeoPackage", cmdExport},
		"plans":    {"list the stored plans with status and report summary", cmdPlans},
		"bundle":   {"check a district bundle folder, or write a repaired copy (bundle check DIR | bundle repair DIR --out DIR2 [--max-area M2])", cmdBundle},
		"fixtures": {"generate a reference district bundle (pukou)", cmdFixtures},
		"locate":   {"street, community and grid of CSV points (locate --plan plan.geojson < in.csv > out.csv)", cmdLocate},
		"plan":     {"partition a bundle into grids (plan --bundle DIR --out plan.geojson)", cmdPlan},
		"publish":  {"validate a plan and publish it (publish ID); running gridd servers pick it up", cmdPublish},
		"rollback": {"publish the previously published plan again", cmdRollback},
		"edit":     {"apply one planner edit to a draft (edit ID '{\"op\":\"merge\",...}')", cmdEdit},
		"units":    {"the planning units (H3 cells) of one grid of a plan, as a move names them (units ID GRID)", cmdUnits},
		"diff":     {"grids added, removed, changed and the impact from plan A to plan B (diff A B)", cmdDiff},
		"cases":    {"list cases, show one, export a period as GeoJSON or CSV (cases list|show ID|export)", cmdCases},
		"shifts":   {"the duty roster: import shifts.csv, list, generate one (shifts import FILE|list|generate)", cmdShifts},
		"simulate": {"drive a realistic day against gridd over HTTP (simulate --url URL --rate N --duration D --seed S --ack-log FILE)", cmdSimulate},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := Main(ctx, os.Args[1:], &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv})
	stop()
	os.Exit(code)
}

// Main runs gridctl with args and returns the process exit code: 0 success,
// 1 failure, 2 bad usage, 3 a bundle repair that left changes for review.
func Main(ctx context.Context, args []string, e *env) int {
	cmds := commands()
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(e.stderr, cmds)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	c, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(e.stderr, "gridctl: unknown command %q (gridctl -h lists them)\n", args[0])
		return 2
	}
	err := c.run(ctx, e, args[1:])
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintf(e.stderr, "gridctl %s: %v\n", args[0], err)
		return 2
	case errors.Is(err, errReview):
		fmt.Fprintf(e.stderr, "gridctl %s: %v\n", args[0], err)
		return 3
	default:
		fmt.Fprintf(e.stderr, "gridctl %s: %v\n", args[0], err)
		return 1
	}
}

func usage(w io.Writer, cmds map[string]command) {
	fmt.Fprintln(w, "usage: gridctl COMMAND [flags]\n\ncommands:")
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, cmds[n].summary)
	}
}

// newFlags makes a FlagSet that reports errors instead of exiting; parse
// with parseFlags.
func newFlags(e *env, name string) *flag.FlagSet {
	fs := flag.NewFlagSet("gridctl "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	return fs
}

// parseFlags parses args, prints usage on -h, and turns a flag error into errUsage with a
// one-line reason.
func parseFlags(e *env, fs *flag.FlagSet, args []string) error {
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		fs.SetOutput(e.stderr)
		fs.Usage()
		return flag.ErrHelp
	}
	if err != nil {
		return fmt.Errorf("%w: %s", errUsage, strings.TrimSpace(err.Error()))
	}
	return nil
}
