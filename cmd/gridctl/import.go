package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/gridplan"
	"github.com/gridd/gridd/store"
)

// cmdImport loads a bundle folder (and optionally a plan) into the store.
func cmdImport(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "import")
	dir := fs.String("bundle", "", "bundle folder to import (required)")
	planFile := fs.String("plan", "", "plan.geojson to store as a new plan")
	reportFile := fs.String("report", "", "the plan's partition report (JSON) to keep with it")
	name := fs.String("name", "", "the plan's name (default: the plan file's name)")
	publish := fs.Bool("publish", false, "publish the imported plan")
	withdraw := fs.Bool("withdraw-plan", false, "when the published plan no longer fits the bundle, archive it instead of refusing the bundle")
	data := fs.String("data", defaultDataDir, "folder of the embedded GeoPackage store (ignored when DATABASE_URL is set)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: gridctl import [--bundle DIR] [--plan plan.geojson [--report report.json] [--name NAME] [--publish]] [--withdraw-plan] [--data DIR]\n\n"+
			"Replaces the district data in the store (DATABASE_URL, else DIR/gridd.gpkg) with the bundle and/or\n"+
			"adds a plan, validated against the bundle, all in one transaction: killed at any point, the store\n"+
			"holds the old state or the new one. Imports are serialised; one that waits too long fails with\n"+
			"\"another import is running\". A bundle the published plan no longer fits is refused unless the\n"+
			"import also publishes a plan or --withdraw-plan archives the published one.")
		fs.PrintDefaults()
	}
	if err := parseFlags(e, fs, args); err != nil {
		return err
	}
	switch {
	case fs.NArg() > 0:
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	case *dir == "" && *planFile == "":
		return fmt.Errorf("%w: --bundle or --plan is required", errUsage)
	case *publish && *planFile == "":
		return fmt.Errorf("%w: --publish needs --plan", errUsage)
	case (*reportFile != "" || *name != "") && *planFile == "":
		return fmt.Errorf("%w: --report and --name need --plan", errUsage)
	}
	step := func(format string, a ...any) { fmt.Fprintf(e.stdout, format+"\n", a...) }

	start := time.Now()
	var b *bundle.Bundle
	if *dir != "" {
		var err error
		if b, err = bundle.Read(*dir); err != nil {
			return err
		}
		step("read %s: %d streets, %d communities, %d buildings (%d households), %d facilities, %d patrols, %d workers, %d departments (%.1fs)",
			*dir, len(b.Streets), len(b.Communities), len(b.Buildings), b.Households(), len(b.Facilities), len(b.Patrols), len(b.Workers), len(b.Departments),
			time.Since(start).Seconds())
	}
	shifts, withShifts, err := readBundleShifts(e, *dir)
	if err != nil {
		return err
	}
	var plan *gridplan.Plan
	if *planFile != "" {
		var err error
		if plan, err = readPlan(*planFile, *reportFile, *name); err != nil {
			return err
		}
		step("read %s: %d grids", *planFile, len(plan.Grids))
	}

	s, what, err := openStore(ctx, e, *data)
	if err != nil {
		return err
	}
	defer s.Close()
	t := time.Now()
	res, err := s.Import(ctx, store.ImportRequest{Bundle: b, Plan: plan, Publish: *publish, WithdrawPlan: *withdraw,
		Shifts: shifts, ReplaceShifts: withShifts})
	if err != nil {
		printProblems(e, err)
		return err
	}
	step("checked and imported into %s in one transaction (%.1fs)", what, time.Since(t).Seconds())
	if res.Withdrawn != 0 {
		step("withdrew plan %d: it no longer fits the bundle (the district is served without grids until a plan is published)", res.Withdrawn)
	}
	if res.Plan != 0 {
		state := "as a draft"
		if res.Published {
			state = "and published it"
		}
		step("stored plan %d %q %s; %d validation warnings", res.Plan, plan.Name, state, len(res.Warnings))
	}
	step("done in %.1fs", time.Since(start).Seconds())
	return nil
}

// printProblems prints every problem of a many-problems error, one a
// line, on stderr (the error itself says how many and the first).
func printProblems(e *env, err error) {
	var l errs.List
	if !errors.As(err, &l) {
		return
	}
	for _, p := range l {
		fmt.Fprintf(e.stderr, "  %s\n", p.Error())
	}
}

// readPlan reads a plan.geojson and its optional report.
func readPlan(file, reportFile, name string) (*gridplan.Plan, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, errs.E(errs.Invalid, file, "cannot open: %v", err)
	}
	defer f.Close()
	grids, err := gridplan.ReadGeoJSON(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if name == "" {
		name = strings.TrimSuffix(filepath.Base(file), filepath.Ext(file))
	}
	p := &gridplan.Plan{Name: name, Params: gridplan.DefaultParams(), Grids: grids}
	if reportFile != "" {
		data, err := os.ReadFile(reportFile)
		if err != nil {
			return nil, errs.E(errs.Invalid, reportFile, "cannot read: %v", err)
		}
		if !json.Valid(data) {
			return nil, errs.E(errs.Invalid, reportFile, "not valid JSON")
		}
		p.Report = data
	}
	return p, nil
}
