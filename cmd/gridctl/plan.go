package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/gridplan"
	"github.com/gridd/gridd/gridplan/partition"
)

// cmdPlan partitions a bundle into grids and writes plan.geojson (and the
// report), printing the report's summary table.
func cmdPlan(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "plan")
	dir := fs.String("bundle", "", "bundle folder (required)")
	out := fs.String("out", "", "plan GeoJSON to write (required)")
	reportPath := fs.String("report", "", "report JSON to write (optional)")
	def := gridplan.DefaultParams()
	seed := fs.Int64("seed", def.Seed, "random seed; the same seed gives the same plan")
	urban := fs.Int("urban", def.UrbanTarget, "households a grid in urban communities")
	rural := fs.Int("rural", def.RuralTarget, "households a grid in rural villages")
	tol := fs.Float64("tolerance", def.TolerancePct, "tolerance around the community mean, percent")
	refine := fs.Float64("refine-share", gridplan.DefaultRefineSharePct, "a cell of several buildings holding more than this percent of its grid target is refined (finer H3 cells)")
	var warm warmFlags
	fs.StringVar(&warm.previous, "previous", "", "plan GeoJSON to start from (warm start: most households keep their grid and code)")
	fs.StringVar(&warm.locked, "locked", "", "comma-separated grid codes of --previous kept as they are")
	fs.StringVar(&warm.community, "community", "", "comma-separated community codes to re-plan; the other grids of --previous are kept")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: gridctl plan --bundle DIR --out plan.geojson [--report report.json] [--seed N] [--previous PLAN [--locked CODES] [--community CODES]]\n\nPartitions every community of the bundle into grids of about the target households.")
		fs.PrintDefaults()
	}
	if err := parseFlags(e, fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	if *dir == "" || *out == "" {
		return fmt.Errorf("%w: --bundle and --out are required", errUsage)
	}
	p := gridplan.Params{UrbanTarget: *urban, RuralTarget: *rural, TolerancePct: *tol, Seed: *seed}
	if *refine != gridplan.DefaultRefineSharePct {
		p.RefineSharePct = *refine // the default stays implicit, so default plans' params read as before
	}
	if p.UrbanTarget <= 0 || p.RuralTarget <= 0 || !(p.TolerancePct > 0 && p.TolerancePct < 100) || !(*refine > 0 && *refine < 100) {
		return fmt.Errorf("%w: --urban and --rural must be positive, --tolerance and --refine-share in (0, 100)", errUsage)
	}
	b, err := bundle.ReadForPlan(*dir) // the service's files (facilities, patrols, ...) are optional here
	if err != nil {
		return err
	}
	if err := planInputProblems(e.stderr, *dir, b); err != nil {
		return err
	}
	wp, err := warm.apply(b, &p)
	if err != nil {
		return err
	}
	p.Progress = planProgress(e.stderr)
	plan, rep, err := partition.Plan(ctx, wp.Bundle, p)
	if err != nil {
		return err
	}
	plan.Grids = wp.Merge(plan.Grids)
	if err := planWriteFile(*out, func(w io.Writer) error { return gridplan.WriteGeoJSON(w, plan.Grids) }); err != nil {
		return err
	}
	if *reportPath != "" {
		err := planWriteFile(*reportPath, func(w io.Writer) error {
			enc := json.NewEncoder(w)
			enc.SetIndent("", " ")
			return enc.Encode(rep)
		})
		if err != nil {
			return err
		}
	}
	fmt.Fprintf(e.stdout, "wrote %s: %d grids\n", *out, len(plan.Grids))
	return rep.WriteSummary(e.stdout)
}

// planProgress draws a bar on a terminal and prints a line every tenth of the
// communities otherwise (logs, pipes).
func planProgress(w io.Writer) func(done, total int) {
	f, ok := w.(*os.File)
	tty := ok && term.IsTerminal(int(f.Fd()))
	start := time.Now()
	last := -1
	return func(done, total int) {
		if tty {
			const width = 30
			n := width * done / total
			fmt.Fprintf(w, "\r[%s%s] %d/%d communities %.1fs", strings.Repeat("#", n), strings.Repeat(" ", width-n), done, total, time.Since(start).Seconds())
			if done == total {
				fmt.Fprintln(w)
			}
			return
		}
		if tenth := 10 * done / total; tenth != last {
			last = tenth
			fmt.Fprintf(w, "planned %d/%d communities (%.1fs)\n", done, total, time.Since(start).Seconds())
		}
	}
}

// planWriteFile writes path through a temporary file in the same folder,
// so that a failed run leaves no half-written plan.
func planWriteFile(path string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".gridctl-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil { // CreateTemp makes 0600
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// planInputProblems runs bundle.Check and refuses the bundle when a
// problem is in one of the two files the planner reads, communities and
// buildings: an invalid or overlapping community ring, a duplicate or
// malformed community, a building outside every community, a duplicate
// building or one without households. Each makes the plan wrong (grids
// over a broken ring, households counted twice or nowhere), so every such
// problem is printed, as `gridctl bundle check` prints it, and nothing is
// planned. Problems elsewhere (streets that leave a gap, a missing work
// station) do not change the grids and are left to bundle check.
func planInputProblems(w io.Writer, dir string, b *bundle.Bundle) error {
	var blocking errs.List
	for _, p := range bundle.Check(b) {
		// A community without its workstation is a service problem
		// (facilities are optional for a plan), not a planning one.
		if strings.Contains(p.Msg, "no workstation in "+bundle.FacilitiesFile) {
			continue
		}
		if strings.HasPrefix(p.Field, bundle.CommunitiesFile) || strings.HasPrefix(p.Field, bundle.BuildingsFile) {
			blocking = append(blocking, p)
		}
	}
	if len(blocking) == 0 {
		return nil
	}
	for _, p := range blocking {
		fmt.Fprintf(w, "%s: %s\n", p.Field, p.Msg)
	}
	return errs.E(errs.Invalid, dir, "%d problem(s) in %s or %s would make the plan wrong; not planned (gridctl bundle check %s lists every problem)",
		len(blocking), bundle.CommunitiesFile, bundle.BuildingsFile, dir)
}
