package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/fixtures"
	"github.com/gridd/gridd/store"
)

// cmdShifts is `gridctl shifts import|list|generate`: the duty roster
// from the shell, straight against the store (a running gridd picks the
// change up on its next rebuild; POST /shifts tells it at once).
func cmdShifts(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: shifts import FILE|list|generate (gridctl shifts SUB -h for flags)", errUsage)
	}
	switch args[0] {
	case "import":
		return shiftsImport(ctx, e, args[1:])
	case "list":
		return shiftsList(ctx, e, args[1:])
	case "generate":
		return shiftsGenerate(e, args[1:])
	}
	return fmt.Errorf("%w: unknown subcommand %q (import, list, generate)", errUsage, args[0])
}

// shiftsImport reads shifts.csv, checks it against the stored bundle and
// replaces the roster (or, with --replace=false, adds and updates by id),
// in one transaction.
func shiftsImport(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "shifts import")
	data := fs.String("data", defaultDataDir, "folder of the embedded GeoPackage store (ignored when DATABASE_URL is set)")
	replace := fs.Bool("replace", true, "replace the whole roster; false adds and updates shifts by id")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: gridctl shifts import [--replace=false] [--data DIR] FILE|-\n\nImports a shifts.csv (unit_or_post,start,end[,id][,note]) in one transaction.")
		fs.PrintDefaults()
	}
	if err := parseFlags(e, fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("%w: shifts import takes one FILE (or - for stdin)", errUsage)
	}
	name := fs.Arg(0)
	var r io.Reader = e.stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		defer f.Close()
		r = f
	}
	shifts, probs := bundle.ReadShifts(r)
	if err := reportProblems(e, probs); err != nil {
		return err
	}
	st, what, err := openStore(ctx, e, *data)
	if err != nil {
		return err
	}
	defer st.Close()
	b, err := st.Bundle(ctx)
	if err != nil {
		if errs.Is(err, errs.NotFound) {
			return errors.New("no district is imported; import a bundle before its roster")
		}
		return err
	}
	if err := reportProblems(e, bundle.CheckShifts(b, shifts)); err != nil {
		return err
	}
	if *replace {
		if err := st.ReplaceShifts(ctx, shifts); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "replaced the roster of %s with %d shifts\n", what, len(shifts))
		return nil
	}
	n, err := st.PutShifts(ctx, shifts)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%d shifts created, %d updated in %s\n", n, len(shifts)-n, what)
	return nil
}

// reportProblems prints every problem and returns an error when there
// were any.
func reportProblems(e *env, probs errs.List) error {
	if len(probs) == 0 {
		return nil
	}
	for _, p := range probs {
		fmt.Fprintf(e.stderr, "%s: %s\n", p.Field, p.Msg)
	}
	return fmt.Errorf("%d problem(s); nothing imported", len(probs))
}

// shiftsList writes the stored shifts as shifts.csv.
func shiftsList(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "shifts list")
	data := fs.String("data", defaultDataDir, "folder of the embedded GeoPackage store (ignored when DATABASE_URL is set)")
	subject := fs.String("subject", "", "only this unit or duty post")
	from := fs.String("from", "", "only shifts ending after this RFC 3339 time")
	to := fs.String("to", "", "only shifts starting before this RFC 3339 time")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: gridctl shifts list [--subject ID] [--from T] [--to T] [--data DIR]\n\nWrites the roster as shifts.csv, by start.")
		fs.PrintDefaults()
	}
	if err := parseFlags(e, fs, args); err != nil {
		return err
	}
	f := store.ShiftFilter{Subject: *subject}
	for _, p := range []struct {
		name, s string
		dst     *time.Time
	}{{"--from", *from, &f.From}, {"--to", *to, &f.To}} {
		if p.s == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, p.s)
		if err != nil {
			return fmt.Errorf("%w: %s %q is not an RFC 3339 time", errUsage, p.name, p.s)
		}
		*p.dst = t
	}
	st, _, err := openStore(ctx, e, *data)
	if err != nil {
		return err
	}
	defer st.Close()
	shifts, err := st.Shifts(ctx, f)
	if err != nil {
		return err
	}
	_, err = e.stdout.Write(bundle.WriteShifts(shifts))
	return err
}

// shiftsGenerate writes fixtures.RosterDays for a bundle folder (or the
// committed Pukou bundle) as shifts.csv.
func shiftsGenerate(e *env, args []string) error {
	fs := newFlags(e, "shifts generate")
	dir := fs.String("bundle", "pukou", "bundle folder, or pukou for the committed Pukou bundle")
	dayS := fs.String("day", time.Now().Format(time.DateOnly), "first duty day (YYYY-MM-DD, China Standard Time)")
	days := fs.Int("days", 1, "number of days")
	seed := fs.Int64("seed", 1, "seed of the shift deal and officer names")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: gridctl shifts generate [--bundle DIR|pukou] [--day YYYY-MM-DD] [--days N] [--seed S] > shifts.csv\n\nA plausible 24-hour duty roster: three 8-hour patrol shifts a street, grid workers 08-17, duty officers at the centre and sub-centres.")
		fs.PrintDefaults()
	}
	if err := parseFlags(e, fs, args); err != nil {
		return err
	}
	day, err := time.ParseInLocation(time.DateOnly, *dayS, time.FixedZone("CST", 8*3600))
	if err != nil {
		return fmt.Errorf("%w: --day %q is not YYYY-MM-DD", errUsage, *dayS)
	}
	if *days < 1 || *days > 366 {
		return fmt.Errorf("%w: --days %d, want 1..366", errUsage, *days)
	}
	var b *bundle.Bundle
	if *dir == "pukou" {
		b, err = fixtures.LoadPukou()
	} else {
		b, err = bundle.Read(*dir)
	}
	if err != nil {
		return err
	}
	_, err = e.stdout.Write(bundle.WriteShifts(fixtures.RosterDays(b, day, *days, *seed)))
	return err
}

// readBundleShifts reads the bundle folder's optional shifts.csv for
// import (which replaces the roster in the import's transaction); ok is
// false when there is none.
func readBundleShifts(e *env, dir string) (shifts []bundle.Shift, ok bool, err error) {
	if dir == "" {
		return nil, false, nil
	}
	shifts, ok, probs := bundle.ReadShiftsFS(os.DirFS(dir), ".")
	if err := reportProblems(e, probs); err != nil {
		return nil, false, err
	}
	if ok {
		fmt.Fprintf(e.stdout, "read %s: %d shifts (the roster is replaced in the import)\n", bundle.ShiftsFile, len(shifts))
	}
	return shifts, ok, nil
}

// checkBundleShifts is `gridctl bundle check`'s look at the folder's
// optional shifts.csv: its syntax, and, when the bundle read, its subjects
// against the bundle (bundle.CheckShifts).
func checkBundleShifts(dir string, b *bundle.Bundle) errs.List {
	shifts, ok, probs := bundle.ReadShiftsFS(os.DirFS(dir), ".")
	if !ok || len(probs) > 0 || b == nil {
		return probs
	}
	return bundle.CheckShifts(b, shifts)
}
