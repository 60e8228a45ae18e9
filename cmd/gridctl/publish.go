package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/gridd/gridd/events"
	"github.com/gridd/gridd/gridplan"
	"github.com/gridd/gridd/store"
)

// planFlags parses --data and want positional plan ids.
func planFlags(e *env, name, usage string, args []string, want int, extra ...func(*flag.FlagSet)) (*flag.FlagSet, *string, []gridplan.PlanID, error) {
	fs := newFlags(e, name)
	data := fs.String("data", defaultDataDir, "folder of the embedded GeoPackage store (ignored when DATABASE_URL is set)")
	for _, x := range extra {
		x(fs)
	}
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), usage)
		fs.PrintDefaults()
	}
	// Flags may follow the plan ids (gridctl diff A B --geojson).
	var pos []string
	for rest := args; ; {
		if err := parseFlags(e, fs, rest); err != nil {
			return nil, nil, nil, err
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	if len(pos) != want {
		return nil, nil, nil, fmt.Errorf("%w: %s wants %d plan id(s), got %d arguments", errUsage, name, want, len(pos))
	}
	ids := make([]gridplan.PlanID, want)
	for i := range ids {
		id, err := gridplan.ParsePlanID(pos[i])
		if err != nil {
			return nil, nil, nil, fmt.Errorf("%w: %q is not a plan id", errUsage, pos[i])
		}
		ids[i] = id
	}
	return fs, data, ids, nil
}

// cmdPublish validates a plan against the stored bundle and publishes it.
func cmdPublish(ctx context.Context, e *env, args []string) error {
	_, data, ids, err := planFlags(e, "publish", "usage: gridctl publish [--data DIR] ID\n\nValidates plan ID against the stored bundle and publishes it in one transaction; gridd servers swap to it.", args, 1)
	if err != nil {
		return err
	}
	return publishPlan(ctx, e, *data, ids[0])
}

// cmdRollback publishes again the plan published before the current one.
func cmdRollback(ctx context.Context, e *env, args []string) error {
	_, data, _, err := planFlags(e, "rollback", "usage: gridctl rollback [--data DIR]\n\nPublishes again the plan that was published before the current one.", args, 0)
	if err != nil {
		return err
	}
	s, _, err := openStore(ctx, e, *data)
	if err != nil {
		return err
	}
	plans, err := s.Plans(ctx)
	s.Close()
	if err != nil {
		return err
	}
	prev, err := store.PreviousPlan(plans)
	if err != nil {
		return err
	}
	return publishPlan(ctx, e, *data, prev)
}

func publishPlan(ctx context.Context, e *env, data string, id gridplan.PlanID) error {
	s, _, err := openStore(ctx, e, data)
	if err != nil {
		return err
	}
	defer s.Close()
	fs, err := store.Publish(ctx, s, id)
	var fe *store.FindingsError
	if errors.As(err, &fe) {
		for _, f := range fe.Findings {
			fmt.Fprintf(e.stderr, "%s\t%s\t%s\t%s\tvalue %g\tlimit %g\t%s\n", f.Severity, f.Grid, f.Community, f.Rule, f.Value, f.Limit, f.Msg)
		}
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "published plan %d (%d warnings)\n", id, len(fs.Warnings()))
	announcePublish(ctx, e, s, id)
	return nil
}

// announcePublish appends the plan.published event gridd publishes for
// the same change, so running servers swap at once (their event stream
// wakes on it) instead of at their next plan poll. The plan is published
// whatever happens here; a failure is only reported.
func announcePublish(ctx context.Context, e *env, s store.Store, id gridplan.PlanID) {
	el, ok := s.(store.EventLog)
	if !ok {
		return
	}
	ev := events.New(events.PlanPublished, time.Now(), nil, map[string]any{"plan": id})
	if _, err := el.AppendEvents(ctx, []events.Event{ev}); err != nil {
		fmt.Fprintf(e.stderr, "gridctl: published, but the plan.published event was not stored (servers notice at their next poll): %v\n", err)
	}
}

// cmdDiff prints gridplan.Diff of plans A and B as JSON, or with
// --geojson its changed areas (gridplan.DiffFeatures) as a GeoJSON
// FeatureCollection.
func cmdDiff(ctx context.Context, e *env, args []string) error {
	var geoJSON bool
	_, data, ids, err := planFlags(e, "diff", "usage: gridctl diff [--data DIR] [--geojson] A B\n\nPrints the grids added, removed and changed from plan A to plan B and the impact, as JSON;\nwith --geojson a FeatureCollection of the changed areas (one feature per added, removed and changed grid).", args, 2,
		func(fs *flag.FlagSet) {
			fs.BoolVar(&geoJSON, "geojson", false, "print the changed areas as a GeoJSON FeatureCollection (as GET /plans/A/diff/B?f=geojson)")
		})
	if err != nil {
		return err
	}
	s, _, err := openStore(ctx, e, *data)
	if err != nil {
		return err
	}
	defer s.Close()
	a, err := s.Plan(ctx, ids[0])
	if err != nil {
		return err
	}
	b, err := s.Plan(ctx, ids[1])
	if err != nil {
		return err
	}
	bu, err := s.Bundle(ctx)
	if err != nil {
		return err
	}
	d, err := gridplan.Diff(a, b, bu, nil)
	if err != nil {
		return err
	}
	if geoJSON {
		return json.NewEncoder(e.stdout).Encode(gridplan.DiffFeatures(a, b, d))
	}
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(d)
}
