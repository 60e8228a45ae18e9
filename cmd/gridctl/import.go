package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/gridplan"
)

// cmdImport loads a bundle folder (and optionally a plan) into the store.
func cmdImport(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "import")
	dir := fs.String("bundle", "", "bundle folder to import (required)")
	planFile := fs.String("plan", "", "plan.geojson to store as a new plan")
	reportFile := fs.String("report", "", "the plan's partition report (JSON) to keep with it")
	name := fs.String("name", "", "the plan's name (default: the plan file's name)")
	publish := fs.Bool("publish", false, "publish the imported plan")
	data := fs.String("data", defaultDataDir, "folder of the embedded GeoPackage store (ignored when DATABASE_URL is set)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: gridctl import --bundle DIR [--plan plan.geojson [--report report.json] [--name NAME] [--publish]] [--data DIR]\n\n"+
			"Replaces the district data in the store (DATABASE_URL, else DIR/gridd.gpkg) with the bundle,\nin one transaction, and optionally adds a plan.")
		fs.PrintDefaults()
	}
	if err := parseFlags(e, fs, args); err != nil {
		return err
	}
	switch {
	case fs.NArg() > 0:
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	case *dir == "":
		return fmt.Errorf("%w: --bundle is required", errUsage)
	case *publish && *planFile == "":
		return fmt.Errorf("%w: --publish needs --plan", errUsage)
	case (*reportFile != "" || *name != "") && *planFile == "":
		return fmt.Errorf("%w: --report and --name need --plan", errUsage)
	}
	step := func(format string, a ...any) { fmt.Fprintf(e.stdout, format+"\n", a...) }

	start := time.Now()
	b, err := bundle.Read(*dir)
	if err != nil {
		return err
	}
	step("read %s: %d streets, %d communities, %d buildings (%d households), %d facilities, %d patrols, %d workers, %d departments (%.1fs)",
		*dir, len(b.Streets), len(b.Communities), len(b.Buildings), b.Households(), len(b.Facilities), len(b.Patrols), len(b.Workers), len(b.Departments),
		time.Since(start).Seconds())
	var plan *gridplan.Plan
	if *planFile != "" {
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
	if err := s.ImportBundle(ctx, b); err != nil {
		return err
	}
	step("checked and imported the district into %s (%.1fs)", what, time.Since(t).Seconds())
	if plan == nil {
		return nil
	}
	t = time.Now()
	id, err := s.CreatePlan(ctx, plan)
	if err != nil {
		return err
	}
	step("stored plan %d %q as a draft (%.1fs)", id, plan.Name, time.Since(t).Seconds())
	if *publish {
		if err := s.PublishPlan(ctx, id); err != nil {
			return err
		}
		step("published plan %d", id)
	}
	step("done in %.1fs", time.Since(start).Seconds())
	return nil
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
