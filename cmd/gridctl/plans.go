package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"text/tabwriter"
	"time"

	"github.com/gridd/gridd/gridplan"
	"github.com/gridd/gridd/gridplan/partition"
)

// cmdPlans lists the stored plans with their status and report summary.
func cmdPlans(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "plans")
	data := fs.String("data", defaultDataDir, "folder of the embedded GeoPackage store (ignored when DATABASE_URL is set)")
	asJSON := fs.Bool("json", false, "print JSON instead of a table")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: gridctl plans [--data DIR] [--json]\n\nLists the plans in the store, newest first.")
		fs.PrintDefaults()
	}
	if err := parseFlags(e, fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	s, _, err := openStore(ctx, e, *data)
	if err != nil {
		return err
	}
	defer s.Close()
	plans, err := s.Plans(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		return writePlansJSON(e, plans)
	}
	if len(plans) == 0 {
		fmt.Fprintln(e.stdout, "no plans (gridctl import --plan FILE adds one)")
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATUS\tGRIDS\tHOUSEHOLDS\tCREATED\tPUBLISHED\tPARENT\tNAME\tREPORT")
	for _, p := range plans {
		parent := "-"
		if p.Parent != 0 {
			parent = p.Parent.String()
		}
		fmt.Fprintf(tw, "%d\t%s\t%d\t%d\t%s\t%s\t%s\t%s\t%s\n", p.ID, p.Status, p.Grids, p.Households,
			fmtWhen(p.CreatedAt), fmtWhen(p.PublishedAt), parent, p.Name, reportSummary(p.Report))
	}
	return tw.Flush()
}

func fmtWhen(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04Z")
}

// reportSummary condenses a partition report to its headline figures.
func reportSummary(raw json.RawMessage) string {
	if len(raw) == 0 {
		return "-"
	}
	var r partition.Report
	if err := json.Unmarshal(raw, &r); err != nil {
		return "(unreadable report)"
	}
	return fmt.Sprintf("%s%% within ±%g%% of community mean, %s%% within ±15%% of target, max dev %s%%, median PP %.2f",
		sharePct(r.WithinCommunityMeanShare), r.TolerancePct, sharePct(r.WithinNominalShare), boundPct(r.MaxAbsDeviationPct), r.MedianPolsbyPopper)
}

// sharePct writes a share as a percentage with one decimal, rounded down,
// so that a figure is never better than the truth: 99.86 % of grids within
// the tolerance is "99.8", never "100" beside a maximum deviation that
// says otherwise. (The 1e-9 absorbs float noise such as 0.29·1000 =
// 289.99999999999997.)
func sharePct(share float64) string {
	return fmt.Sprintf("%.1f", math.Floor(1000*share+1e-9)/10)
}

// boundPct writes a deviation with one decimal, rounded up: 10.04 % is
// "10.1", not "10.0", which would read as within a ±10 % tolerance.
func boundPct(pct float64) string {
	return fmt.Sprintf("%.1f", math.Max(math.Ceil(10*pct-1e-9)/10, 0))
}

// planJSON is one plan in `gridctl plans --json`.
type planJSON struct {
	ID          gridplan.PlanID  `json:"id"`
	Name        string           `json:"name"`
	Status      gridplan.Status  `json:"status"`
	Parent      *gridplan.PlanID `json:"parent,omitempty"`
	Grids       int              `json:"grids"`
	Households  int              `json:"households"`
	CreatedAt   time.Time        `json:"created_at"`
	PublishedAt *time.Time       `json:"published_at,omitempty"`
	Report      json.RawMessage  `json:"report,omitempty"`
}

func writePlansJSON(e *env, plans []gridplan.Summary) error {
	out := make([]planJSON, len(plans))
	for i, p := range plans {
		out[i] = planJSON{ID: p.ID, Name: p.Name, Status: p.Status, Grids: p.Grids, Households: p.Households, CreatedAt: p.CreatedAt, Report: p.Report}
		if p.Parent != 0 {
			parent := p.Parent
			out[i].Parent = &parent
		}
		if !p.PublishedAt.IsZero() {
			at := p.PublishedAt
			out[i].PublishedAt = &at
		}
	}
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
