package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/gridd/gridd/gridplan"
	"github.com/gridd/gridd/gridplan/partition"
	"github.com/gridd/gridd/store"
)

// cmdEdit applies one planner edit (the body of POST /plans/{id}/edits)
// to a draft in the store and prints the changed and removed grids and
// the findings.
func cmdEdit(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "edit")
	data := fs.String("data", defaultDataDir, "folder of the embedded GeoPackage store (ignored when DATABASE_URL is set)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), `usage: gridctl edit [--data DIR] ID EDIT

Applies one edit to draft ID, atomically, as POST /plans/ID/edits does. EDIT is its JSON body, e.g.
  '{"op":"merge","grids":["320111001001001","320111001001002"]}'   '{"op":"split","grid":"...","n":2}'
  '{"op":"lock","grids":[...]}'   '{"op":"rebalance","communities":["320111001001"]}'
  '{"op":"move","units":["8b309a2d5b2dfff"],"to":"..."}'   (units: H3 cell ids, GET /plans/ID/units?grid=CODE)
A refused edit prints its findings and changes nothing.`)
		fs.PrintDefaults()
	}
	if err := parseFlags(e, fs, args); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		return fmt.Errorf("%w: edit wants a plan id and an edit, got %d arguments", errUsage, fs.NArg())
	}
	id, err := gridplan.ParsePlanID(fs.Arg(0))
	if err != nil {
		return fmt.Errorf("%w: %q is not a plan id", errUsage, fs.Arg(0))
	}
	var ed gridplan.Edit
	dec := json.NewDecoder(bytes.NewReader([]byte(fs.Arg(1))))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ed); err != nil {
		return fmt.Errorf("%w: the edit is not a JSON edit object: %v", errUsage, err)
	}
	s, _, err := openStore(ctx, e, *data)
	if err != nil {
		return err
	}
	defer s.Close()
	res, err := store.EditPlan(ctx, s, id, nil, ed, partition.Grids)
	var re *gridplan.RefusedError
	if errors.As(err, &re) {
		printFindings(e, re.Findings)
	}
	if err != nil {
		return err
	}
	for _, g := range res.Changed {
		lock := ""
		if g.Locked {
			lock = "\tlocked"
		}
		fmt.Fprintf(e.stdout, "changed\t%s\t%d households%s\n", g.Code, g.Households, lock)
	}
	for _, c := range res.Removed {
		fmt.Fprintf(e.stdout, "removed\t%s\n", c)
	}
	printFindings(e, res.Findings)
	fmt.Fprintf(e.stdout, "edited plan %d: %s, %d changed, %d removed, %d warnings\n", id, ed.Op, len(res.Changed), len(res.Removed), len(res.Findings.Warnings()))
	return nil
}

func printFindings(e *env, fs gridplan.Findings) {
	for _, f := range fs {
		fmt.Fprintf(e.stderr, "%s\t%s\t%s\t%s\tvalue %g\tlimit %g\t%s\n", f.Severity, f.Grid, f.Community, f.Rule, f.Value, f.Limit, f.Msg)
	}
}
