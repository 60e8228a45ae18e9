package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/gridplan"
	"github.com/gridd/gridd/store/gpkg"
)

// cmdExport writes one plan's grids as GeoJSON or as a GeoPackage.
func cmdExport(ctx context.Context, e *env, args []string) error {
	fset := newFlags(e, "export")
	planArg := fset.String("plan", "", `plan id, or "published" (required)`)
	format := fset.String("format", "geojson", "geojson or gpkg")
	out := fset.String("out", "", `output file (required; "-" writes GeoJSON to stdout)`)
	data := fset.String("data", defaultDataDir, "folder of the embedded GeoPackage store (ignored when DATABASE_URL is set)")
	fset.Usage = func() {
		fmt.Fprintln(fset.Output(), "usage: gridctl export --plan ID|published --format geojson|gpkg --out FILE [--data DIR]\n\n"+
			"Writes a plan's grids: GeoJSON (one feature a grid), or a new GeoPackage holding the plan\nas its published plan (layer grids).")
		fset.PrintDefaults()
	}
	if err := parseFlags(e, fset, args); err != nil {
		return err
	}
	switch {
	case fset.NArg() > 0:
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fset.Arg(0))
	case *planArg == "":
		return fmt.Errorf("%w: --plan is required (an id or \"published\")", errUsage)
	case *out == "":
		return fmt.Errorf("%w: --out is required", errUsage)
	case *format != "geojson" && *format != "gpkg":
		return fmt.Errorf("%w: --format %q: want geojson or gpkg", errUsage, *format)
	case *format == "gpkg" && *out == "-":
		return fmt.Errorf("%w: a GeoPackage cannot go to stdout", errUsage)
	}
	var id gridplan.PlanID
	if *planArg != "published" {
		var err error
		if id, err = gridplan.ParsePlanID(*planArg); err != nil {
			return fmt.Errorf("%w: --plan: %v", errUsage, err)
		}
	}
	if *format == "gpkg" {
		// Never overwrite: --out might name a live store.
		if _, err := os.Stat(*out); !errors.Is(err, fs.ErrNotExist) {
			return errs.E(errs.Conflict, *out, "already exists; remove it or choose another file")
		}
	}

	s, what, err := openStore(ctx, e, *data)
	if err != nil {
		return err
	}
	defer s.Close()
	var p *gridplan.Plan
	if id == 0 {
		p, err = s.PublishedPlan(ctx)
	} else {
		p, err = s.Plan(ctx, id)
	}
	if err != nil {
		return err
	}

	if *format == "gpkg" {
		if err := writePlanGPKG(ctx, *out, p); err != nil {
			return err
		}
	} else if err := writeOut(*out, e.stdout, func(w io.Writer) error { return gridplan.WriteGeoJSON(w, p.Grids) }); err != nil {
		return err
	}
	if *out != "-" {
		fmt.Fprintf(e.stdout, "wrote plan %d %q (%s, %d grids) from %s to %s\n", p.ID, p.Name, p.Status, len(p.Grids), what, *out)
	}
	return nil
}

// writePlanGPKG writes a new GeoPackage whose only plan is p, published, so
// that its grids layer holds p's grids.
func writePlanGPKG(ctx context.Context, path string, p *gridplan.Plan) error {
	db, err := gpkg.Open(ctx, path)
	if err != nil {
		return err
	}
	cp := *p
	cp.Parent = 0 // the parent is not in the new file
	id, err := db.CreatePlan(ctx, &cp)
	if err == nil {
		err = db.PublishPlan(ctx, id)
	}
	return errors.Join(err, db.Close())
}

// writeOut writes through a buffered file (or stdout for "-"), reporting
// close errors.
func writeOut(path string, stdout io.Writer, write func(io.Writer) error) error {
	if path == "-" {
		return write(stdout)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	if err := write(w); err != nil {
		f.Close()
		return err
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
