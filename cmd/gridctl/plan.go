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
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: gridctl plan --bundle DIR --out plan.geojson [--report report.json] [--seed N]\n\nPartitions every community of the bundle into grids of about the target households.")
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
	if p.UrbanTarget <= 0 || p.RuralTarget <= 0 || !(p.TolerancePct > 0 && p.TolerancePct < 100) {
		return fmt.Errorf("%w: --urban and --rural must be positive and --tolerance in (0, 100)", errUsage)
	}
	b, err := bundle.ReadForPlan(*dir) // the service's files (facilities, patrols, ...) are optional here
	if err != nil {
		return err
	}
	p.Progress = planProgress(e.stderr)
	plan, rep, err := partition.Plan(ctx, b, p)
	if err != nil {
		return err
	}
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
