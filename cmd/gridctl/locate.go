package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/geo"
	"github.com/gridd/gridd/gridplan"
)

// maxLocateProblems caps how many bad rows one run lists.
const maxLocateProblems = 20

// cmdLocate is `gridctl locate --plan plan.geojson [--bundle DIR] < points.csv > out.csv`:
// the street, community and grid of every point, in input order.
//
// The whole input is read and validated before anything is written, so a
// bad row (reported with its line number) leaves stdout empty; the price is
// holding the points in memory (about 60 bytes a point).
func cmdLocate(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "locate")
	plan := fs.String("plan", "", "plan.geojson with the grids (required)")
	bdir := fs.String("bundle", "", "bundle folder whose street and community layers to use (default: codes from the grid code)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), `usage: gridctl locate --plan plan.geojson [--bundle DIR] < points.csv > out.csv

Reads CSV with the header id,lon,lat (WGS84 degrees) and writes
id,street_code,community_code,grid_code for every row, in input order;
codes are empty for points outside the district. Street and community
codes come from the grid's codes, or with --bundle from the bundle's own
street and community polygons. Every row is validated before any output;
bad rows are listed with their line numbers and nothing is written.
Throughput goes to stderr.`)
		fs.PrintDefaults()
	}
	if err := parseFlags(e, fs, args); err != nil {
		return err
	}
	if *plan == "" {
		return fmt.Errorf("%w: --plan is required", errUsage)
	}
	if fs.NArg() != 0 {
		return fmt.Errorf("%w: unexpected argument %q (points come on stdin)", errUsage, fs.Arg(0))
	}

	start := time.Now()
	f, err := os.Open(*plan)
	if err != nil {
		return fmt.Errorf("plan: %w", err)
	}
	grids, err := gridplan.ReadGeoJSON(f)
	f.Close()
	if err != nil {
		return fmt.Errorf("%s: %w", *plan, err)
	}
	gridAreas := make([]geo.Area, len(grids))
	for i, g := range grids {
		gridAreas[i] = geo.Area{Code: string(g.Code), Geom: g.Geom}
	}
	var streets, comms []geo.Area
	if *bdir != "" {
		b, err := bundle.Read(*bdir)
		if err != nil {
			return fmt.Errorf("bundle %s: %w", *bdir, err)
		}
		for _, s := range b.Streets {
			streets = append(streets, geo.Area{Code: string(s.Code), Geom: s.Geom})
		}
		for _, c := range b.Communities {
			comms = append(comms, geo.Area{Code: string(c.Code), Geom: c.Geom})
		}
	}
	loc, err := geo.NewLocator(streets, comms, gridAreas)
	if err != nil {
		return err
	}
	built := time.Since(start)

	pts, err := parsePointsCSV(e.stdin, "stdin")
	if err != nil {
		var list errs.List
		if errors.As(err, &list) {
			for _, p := range list {
				fmt.Fprintf(e.stderr, "%s: %s\n", p.Field, p.Msg)
			}
		}
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}

	t0 := time.Now()
	xy := make([]orb.Point, len(pts))
	for i, p := range pts {
		xy[i] = orb.Point{p.lon, p.lat}
	}
	out := loc.LocateAll(make([]geo.Location, 0, len(pts)), xy)
	inside := 0
	for i, l := range out {
		if l == (geo.Location{}) {
			continue
		}
		inside++
		if *bdir == "" && l.Grid != "" {
			// codes nest: the grid code starts with its community's
			// (12 digits), which starts with its street's (9)
			gc := bundle.GridCode(l.Grid)
			out[i].Community = string(gc.Community())
			out[i].Street = string(gc.Community().Street())
		}
	}
	lookup := time.Since(t0)

	w := bufio.NewWriterSize(e.stdout, 1<<16)
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"id", "street_code", "community_code", "grid_code"})
	for i, p := range pts {
		_ = cw.Write([]string{p.id, out[i].Street, out[i].Community, out[i].Grid})
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	per := 0.0
	if len(pts) > 0 {
		per = float64(lookup.Nanoseconds()) / float64(len(pts))
	}
	fmt.Fprintf(e.stderr, "located %d points (%d inside, %d outside) against %d grids: index built in %v, lookups %.0f ns/point (%.0f points/s), total %v\n",
		len(pts), inside, len(pts)-inside, len(grids), built.Round(time.Millisecond), per, 1e9/math.Max(per, 1e-9), time.Since(start).Round(time.Millisecond))
	return nil
}

type csvPoint struct {
	id       string
	lon, lat float64
}

// parsePointsCSV reads "id,lon,lat" CSV (header required, UTF-8 BOM
// allowed) and checks every row; problems name the source and line, up to
// maxLocateProblems of them, as an errs.List.
func parsePointsCSV(r io.Reader, name string) ([]csvPoint, error) {
	cr := csv.NewReader(bufio.NewReader(r))
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	var probs errs.List
	bad := func(line int, format string, args ...any) {
		if len(probs) < maxLocateProblems {
			probs = append(probs, errs.E(errs.Invalid, fmt.Sprintf("%s:%d", name, line), format, args...))
		}
	}
	head, err := cr.Read()
	if err == io.EOF {
		return nil, errs.List{errs.E(errs.Invalid, name+":1", "empty input: want the header id,lon,lat")}.Err()
	}
	if err != nil {
		return nil, errs.List{errs.E(errs.Invalid, name+":1", "%s", csvErrMsg(err))}.Err()
	}
	if len(head) > 0 {
		head[0] = strings.TrimPrefix(head[0], "\ufeff")
	}
	if len(head) != 3 || head[0] != "id" || head[1] != "lon" || head[2] != "lat" {
		return nil, errs.List{errs.E(errs.Invalid, name+":1", "header is %q, want id,lon,lat", strings.Join(head, ","))}.Err()
	}
	var pts []csvPoint
	nbad := 0
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			line := 0
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.Line
			}
			nbad++
			bad(line, "%s", csvErrMsg(err))
			if pe == nil {
				break // an I/O error: nothing more to read
			}
			continue
		}
		line, _ := cr.FieldPos(0)
		if len(rec) != 3 {
			nbad++
			bad(line, "has %d fields, want 3 (id,lon,lat)", len(rec))
			continue
		}
		id := rec[0]
		if id == "" {
			nbad++
			bad(line, "id is empty")
			continue
		}
		lon, errLon := strconv.ParseFloat(strings.TrimSpace(rec[1]), 64)
		lat, errLat := strconv.ParseFloat(strings.TrimSpace(rec[2]), 64)
		switch {
		case errLon != nil:
			nbad++
			bad(line, "lon %q is not a number", rec[1])
		case errLat != nil:
			nbad++
			bad(line, "lat %q is not a number", rec[2])
		case geo.CheckLonLat(lon, lat) != nil:
			nbad++
			e, _ := errs.As(geo.CheckLonLat(lon, lat))
			bad(line, "%s: %s", e.Field, e.Msg)
		default:
			pts = append(pts, csvPoint{strings.Clone(id), lon, lat})
		}
	}
	if nbad > 0 {
		if nbad > len(probs) {
			probs = append(probs, errs.E(errs.Invalid, name, "%d more bad rows not listed", nbad-len(probs)))
		}
		return nil, probs.Err()
	}
	return pts, nil
}

func csvErrMsg(err error) string {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
