package main

import (
	"context"
	"fmt"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/gridplan"
)

// cmdUnits lists the planning units of one grid of a plan (as GET
// /plans/{id}/units does): the ids a move names.
func cmdUnits(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "units")
	data := fs.String("data", defaultDataDir, "folder of the embedded GeoPackage store (ignored when DATABASE_URL is set)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), `usage: gridctl units [--data DIR] ID GRID

Lists the planning units (H3 cells) of grid GRID of plan ID: unit, grid, households — the ids
'{"op":"move","units":[...],"to":"..."}' names. Units a plan does not store (imported from a file)
are derived from its grids, as a move derives them.`)
		fs.PrintDefaults()
	}
	if err := parseFlags(e, fs, args); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		return fmt.Errorf("%w: units wants a plan id and a grid code, got %d arguments", errUsage, fs.NArg())
	}
	id, err := gridplan.ParsePlanID(fs.Arg(0))
	if err != nil {
		return fmt.Errorf("%w: %q is not a plan id", errUsage, fs.Arg(0))
	}
	code, err := bundle.ParseGridCode(fs.Arg(1))
	if err != nil {
		return fmt.Errorf("%w: %q is not a grid code", errUsage, fs.Arg(1))
	}
	s, _, err := openStore(ctx, e, *data)
	if err != nil {
		return err
	}
	defer s.Close()
	p, err := s.Plan(ctx, id)
	if err != nil {
		return err
	}
	var g *gridplan.Grid
	for i := range p.Grids {
		if p.Grids[i].Code == code {
			g = &p.Grids[i]
		}
	}
	if g == nil {
		return fmt.Errorf("plan %d has no grid %s", id, code)
	}
	cs := []bundle.CommunityCode{g.Community}
	if p.Units, err = s.PlanUnits(ctx, id, gridplan.GridsOf(p, cs)...); err != nil {
		return err
	}
	b, err := s.Bundle(ctx)
	if err != nil {
		return err
	}
	us, derived, err := gridplan.CommunityUnits(p, b, g.Community)
	if err != nil {
		return err
	}
	n, hh := 0, 0
	for _, u := range us {
		if u.Grid == code {
			fmt.Fprintf(e.stdout, "%s\t%s\t%d\n", u.ID, u.Grid, u.Households)
			n++
			hh += u.Households
		}
	}
	how := "stored"
	if derived {
		how = "derived from the grids"
	}
	fmt.Fprintf(e.stderr, "%d units of grid %s, %d households (%s)\n", n, code, hh, how)
	return nil
}
