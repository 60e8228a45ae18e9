package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/paulmach/orb/geojson"

	"github.com/gridd/gridd/cases"
)

// cmdCases is `gridctl cases list|show|export`: the case store from the
// shell.
func cmdCases(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: cases list|show ID|export (gridctl cases SUB -h for flags)", errUsage)
	}
	switch args[0] {
	case "list":
		return casesList(ctx, e, args[1:])
	case "show":
		return casesShow(ctx, e, args[1:])
	case "export":
		return casesExport(ctx, e, args[1:])
	}
	return fmt.Errorf("%w: unknown subcommand %q (list, show, export)", errUsage, args[0])
}

// caseFlags are the flags every cases subcommand shares.
type caseFlags struct {
	data     *string
	from, to *string
	stage    *string
}

func newCaseFlags(fs *flag.FlagSet) caseFlags {
	return caseFlags{
		data:  fs.String("data", defaultDataDir, "folder of the embedded GeoPackage store (ignored when DATABASE_URL is set)"),
		from:  fs.String("from", "", "cases reported at or after this RFC 3339 time"),
		to:    fs.String("to", "", "cases reported before this RFC 3339 time"),
		stage: fs.String("stage", "", "only cases at this stage"),
	}
}

// filter reads the period and stage flags.
func (f caseFlags) filter() (cases.CaseFilter, error) {
	var cf cases.CaseFilter
	for _, p := range []struct {
		name string
		s    string
		dst  *time.Time
	}{{"--from", *f.from, &cf.From}, {"--to", *f.to, &cf.To}} {
		if p.s == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339, p.s)
		if err != nil {
			return cf, fmt.Errorf("%w: %s %q: want an RFC 3339 time", errUsage, p.name, p.s)
		}
		*p.dst = t
	}
	if *f.stage != "" {
		if cf.Stage = cases.Stage(*f.stage); !cf.Stage.Valid() {
			return cf, fmt.Errorf("%w: --stage %q is not a stage", errUsage, *f.stage)
		}
	}
	return cf, nil
}

func openCases(ctx context.Context, e *env, data string) (cases.Store, func(), error) {
	s, _, err := openStore(ctx, e, data)
	if err != nil {
		return nil, nil, err
	}
	cs, ok := s.(cases.Store)
	if !ok {
		s.Close()
		return nil, nil, fmt.Errorf("the %T store keeps no cases", s)
	}
	return cs, func() { s.Close() }, nil
}

// eachCase calls fn for every case f matches, a page at a time.
func eachCase(ctx context.Context, cs cases.Store, f cases.CaseFilter, fn func(*cases.Case) error) error {
	f.Limit = 1000
	for {
		page, _, err := cs.Cases(ctx, f)
		if err != nil {
			return err
		}
		for i := range page {
			if err := fn(&page[i]); err != nil {
				return err
			}
		}
		if len(page) < f.Limit {
			return nil
		}
		f.Offset += len(page)
	}
}

func casesList(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "cases list")
	cf := newCaseFlags(fs)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: gridctl cases list [--from T] [--to T] [--stage S] [--data DIR]\n\nLists cases by id.")
		fs.PrintDefaults()
	}
	if err := parseFlags(e, fs, args); err != nil {
		return err
	}
	f, err := cf.filter()
	if err != nil {
		return err
	}
	cs, done, err := openCases(ctx, e, *cf.data)
	if err != nil {
		return err
	}
	defer done()
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTAGE\tPATH\tCATEGORY\tCHANNEL\tGRID\tUNIT/DEPT\tREPORTED\tDEADLINE\tESC")
	err = eachCase(ctx, cs, f, func(c *cases.Case) error {
		who := c.Unit
		if c.Path == cases.Department {
			who = c.Department
		}
		_, err := fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\n", c.ID, c.Stage, c.Path, c.Category, c.Channel,
			orDash(c.Grid), orDash(who), fmtWhen(c.ReportedAt), fmtWhen(c.Deadline), c.Escalation)
		return err
	})
	if err != nil {
		return err
	}
	return tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func casesShow(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "cases show")
	data := fs.String("data", defaultDataDir, "folder of the embedded GeoPackage store (ignored when DATABASE_URL is set)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: gridctl cases show [--data DIR] ID\n\nPrints one case with its incidents and events as JSON.")
		fs.PrintDefaults()
	}
	if err := parseFlags(e, fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("%w: give one case id", errUsage)
	}
	id, err := cases.ParseCaseID(fs.Arg(0))
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	cs, done, err := openCases(ctx, e, *data)
	if err != nil {
		return err
	}
	defer done()
	c, err := cs.Case(ctx, id)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(c)
}

// caseColumns are the export's properties (CSV columns) in order.
var caseColumns = []string{"id", "stage", "path", "category", "channel", "lon", "lat", "street_code", "community_code",
	"grid_code", "unit", "department", "reported_at", "dispatched_at", "accepted_at", "arrived_at", "resolved_at",
	"closed_at", "evaluated_at", "due_at", "deadline", "escalation", "rework", "satisfaction", "cost_yuan"}

func caseRow(c *cases.Case) []string {
	t := func(x time.Time) string {
		if x.IsZero() {
			return ""
		}
		return x.UTC().Format(time.RFC3339)
	}
	f := func(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }
	return []string{c.ID.String(), string(c.Stage), string(c.Path), c.Category, string(c.Channel), f(c.Loc[0]), f(c.Loc[1]),
		c.Street, c.Community, c.Grid, c.Unit, c.Department, t(c.ReportedAt), t(c.DispatchedAt), t(c.AcceptedAt),
		t(c.ArrivedAt), t(c.ResolvedAt), t(c.ClosedAt), t(c.EvaluatedAt), t(c.DueAt), t(c.Deadline),
		strconv.Itoa(c.Escalation), strconv.Itoa(c.Rework), strconv.Itoa(c.Satisfaction), f(c.CostYuan)}
}

func casesExport(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "cases export")
	cf := newCaseFlags(fs)
	format := fs.String("format", "geojson", "geojson or csv")
	out := fs.String("out", "-", "output file (- for stdout)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: gridctl cases export [--format geojson|csv] [--from T] [--to T] [--stage S] [--out FILE] [--data DIR]\n\nWrites the cases of a period as GeoJSON points or CSV rows.")
		fs.PrintDefaults()
	}
	if err := parseFlags(e, fs, args); err != nil {
		return err
	}
	if *format != "geojson" && *format != "csv" {
		return fmt.Errorf("%w: --format %q: geojson or csv", errUsage, *format)
	}
	f, err := cf.filter()
	if err != nil {
		return err
	}
	cs, done, err := openCases(ctx, e, *cf.data)
	if err != nil {
		return err
	}
	defer done()
	w := e.stdout
	if *out != "-" {
		file, err := os.Create(*out)
		if err != nil {
			return err
		}
		defer file.Close()
		w = file
	}
	if *format == "csv" {
		err = exportCSV(ctx, cs, f, w)
	} else {
		err = exportGeoJSON(ctx, cs, f, w)
	}
	if err != nil {
		return err
	}
	if file, ok := w.(*os.File); ok && *out != "-" {
		return file.Sync()
	}
	return nil
}

func exportCSV(ctx context.Context, cs cases.Store, f cases.CaseFilter, w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(caseColumns); err != nil {
		return err
	}
	err := eachCase(ctx, cs, f, func(c *cases.Case) error { return cw.Write(caseRow(c)) })
	if err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

func exportGeoJSON(ctx context.Context, cs cases.Store, f cases.CaseFilter, w io.Writer) error {
	fc := geojson.NewFeatureCollection()
	err := eachCase(ctx, cs, f, func(c *cases.Case) error {
		ft := geojson.NewFeature(c.Loc)
		ft.ID = int64(c.ID)
		row := caseRow(c)
		for i, col := range caseColumns {
			switch {
			case col == "lon" || col == "lat" || row[i] == "":
			case col == "id" || col == "escalation" || col == "rework" || col == "satisfaction" || col == "cost_yuan":
				n, _ := strconv.ParseFloat(row[i], 64) // written by caseRow from numbers
				ft.Properties[col] = n
			default:
				ft.Properties[col] = row[i]
			}
		}
		fc.Append(ft)
		return nil
	})
	if err != nil {
		return err
	}
	return json.NewEncoder(w).Encode(fc)
}
