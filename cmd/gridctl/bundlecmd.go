package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/bundle/repair"
	"github.com/gridd/gridd/errs"
)

// errReview marks a repair that left changes for a person: gridctl exits 3.
var errReview = errors.New("left for review")

const bundleUsage = `usage: gridctl bundle check DIR
       gridctl bundle repair DIR --out DIR2 [--max-area M2] [--snap M] [--json]

check   checks a district bundle folder (syntax of every file, codes, tiling,
        references) and prints every problem; exits 0 only when there are none.
repair  writes a repaired copy of DIR into DIR2 (every file copied as it is,
        district, streets and communities rewritten; like plan, it needs only
        those and buildings.csv): repeated points and
        spikes removed, rings made valid, near-coincident vertices snapped,
        streets clipped to the district and communities to their street,
        overlaps cut from the smaller area, gaps given to the neighbour
        sharing their longest edge. Every change is printed with its place
        and area; a change above --max-area is not made but listed for review.
        Exits 0 when DIR2 passes bundle check, 3 when something was left for
        review, 1 when problems repair does not mend (codes, references) remain.`

// cmdBundle checks or repairs a bundle folder.
func cmdBundle(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "bundle")
	fs.Usage = func() { fmt.Fprintln(fs.Output(), bundleUsage) }
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
		return parseFlags(e, fs, args[:1])
	}
	if len(args) == 0 {
		return fmt.Errorf("%w: want a subcommand (check, repair)", errUsage)
	}
	switch args[0] {
	case "check":
		return bundleCheck(e, fs, args[1:])
	case "repair":
		return bundleRepair(e, fs, args[1:])
	}
	return fmt.Errorf("%w: unknown subcommand %q (check, repair)", errUsage, args[0])
}

// parseInterleaved parses flags that may come before or after the
// positional arguments (gridctl bundle repair DIR --out DIR2).
func parseInterleaved(e *env, fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := parseFlags(e, fs, args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func bundleFolder(dir string) error {
	if st, err := os.Stat(dir); err != nil {
		return fmt.Errorf("cannot read bundle folder: %w", err)
	} else if !st.IsDir() {
		return fmt.Errorf("%s is not a folder", dir)
	}
	return nil
}

func bundleCheck(e *env, fs *flag.FlagSet, args []string) error {
	pos, err := parseInterleaved(e, fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return fmt.Errorf("%w: want exactly one bundle folder, got %d arguments", errUsage, len(pos))
	}
	dir := pos[0]
	if err := bundleFolder(dir); err != nil {
		return err
	}
	b, err := bundle.Read(dir)
	var probs errs.List
	if err != nil {
		if !errors.As(err, &probs) {
			return err
		}
	} else {
		probs = bundle.Check(b)
	}
	probs = append(probs, checkBundleShifts(dir, b)...)
	for _, p := range probs {
		fmt.Fprintf(e.stdout, "%s: %s\n", p.Field, p.Msg)
	}
	if len(probs) > 0 {
		return fmt.Errorf("%s: %d problem(s)", dir, len(probs))
	}
	fmt.Fprintf(e.stdout, "%s: ok: %d streets, %d communities, %d buildings, %d households, %d facilities, %d patrols, %d workers, %d departments\n",
		dir, len(b.Streets), len(b.Communities), len(b.Buildings), b.Households(), len(b.Facilities), len(b.Patrols), len(b.Workers), len(b.Departments))
	return nil
}

// repairOutput is `gridctl bundle repair --json`'s document.
type repairOutput struct {
	Out      string               `json:"out"`
	Findings []repair.Finding     `json:"findings"`
	Counts   map[repair.Kind]int  `json:"counts"`
	Review   int                  `json:"review"`
	Check    []repairCheckProblem `json:"check"` // bundle check on the output
	Options  map[string]float64   `json:"options"`
}

type repairCheckProblem struct {
	Field string `json:"field"`
	Msg   string `json:"msg"`
}

func bundleRepair(e *env, fs *flag.FlagSet, args []string) error {
	def := repair.DefaultOptions()
	out := fs.String("out", "", "folder to write the repaired bundle into (required; must not exist or be empty)")
	maxArea := fs.Float64("max-area", def.MaxAreaM2, "m²: a gap, overlap, overhang, spike or self-intersection moving more area is left for review")
	snap := fs.Float64("snap", def.SnapM, "m: vertices nearer than this are snapped together (0: no snapping)")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), bundleUsage+"\n\nrepair flags:")
		fs.PrintDefaults()
	}
	pos, err := parseInterleaved(e, fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return fmt.Errorf("%w: want exactly one bundle folder, got %d arguments", errUsage, len(pos))
	}
	if *out == "" {
		return fmt.Errorf("%w: --out is required", errUsage)
	}
	if !(*maxArea >= 0) || !(*snap >= 0) || *maxArea > 1e12 || *snap > 1000 {
		return fmt.Errorf("%w: --max-area must be in [0, 1e12] m² and --snap in [0, 1000] m", errUsage)
	}
	dir := pos[0]
	if err := bundleFolder(dir); err != nil {
		return err
	}
	if err := emptyTarget(dir, *out); err != nil {
		return err
	}
	// As for a plan, only the plan's files must be there: a planner's
	// folder of district, streets, communities and buildings is repaired
	// as it is, and the absent files stay absent.
	b, err := bundle.ReadForPlan(dir)
	if err != nil {
		var probs errs.List
		if errors.As(err, &probs) {
			for _, p := range probs {
				fmt.Fprintf(e.stdout, "%s: %s\n", p.Field, p.Msg)
			}
			return fmt.Errorf("%s: %d problem(s) to fix by hand before a repair can read it", dir, len(probs))
		}
		return err
	}
	opt := def
	opt.MaxAreaM2, opt.SnapM = *maxArea, *snap
	fixed, rep := repair.Repair(b, opt)
	if err := copyTree(dir, *out); err != nil {
		return err
	}
	if err := bundle.WriteAreas(*out, fixed); err != nil {
		return err
	}
	after := checkRepaired(dir, fixed)
	review := rep.Review()
	if *asJSON {
		doc := repairOutput{Out: *out, Findings: rep.Findings, Counts: rep.Counts(), Review: len(review),
			Check:   []repairCheckProblem{},
			Options: map[string]float64{"max_area_m2": opt.MaxAreaM2, "snap_m": opt.SnapM, "spike_deg": opt.SpikeDeg}}
		if doc.Findings == nil {
			doc.Findings = []repair.Finding{}
		}
		for _, p := range after {
			doc.Check = append(doc.Check, repairCheckProblem{p.Field, p.Msg})
		}
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(doc); err != nil {
			return err
		}
	} else {
		writeRepairText(e.stdout, *out, rep, after)
	}
	switch {
	case len(review) > 0:
		return fmt.Errorf("%w: %d change(s) above --max-area %.0f m² or not possible; see the left_for_review lines", errReview, len(review), opt.MaxAreaM2)
	case len(after) > 0:
		return fmt.Errorf("%s: bundle check still finds %d problem(s) a repair does not mend", *out, len(after))
	}
	return nil
}

func writeRepairText(w io.Writer, out string, rep repair.Report, after errs.List) {
	for _, f := range rep.Findings {
		fmt.Fprintln(w, f)
	}
	counts := rep.Counts()
	kinds := make([]string, 0, len(counts))
	area := map[repair.Kind]float64{}
	for _, f := range rep.Findings {
		area[f.Kind] += f.AreaM2
	}
	for k := range counts {
		kinds = append(kinds, string(k))
	}
	sort.Strings(kinds)
	var parts []string
	for _, k := range kinds {
		parts = append(parts, fmt.Sprintf("%d %s (%.0f m²)", counts[repair.Kind(k)], k, area[repair.Kind(k)]))
	}
	if len(parts) == 0 {
		parts = []string{"nothing to repair"}
	}
	fmt.Fprintf(w, "%s: %s\n", out, strings.Join(parts, ", "))
	for _, p := range after {
		fmt.Fprintf(w, "after repair: %s: %s\n", p.Field, p.Msg)
	}
	if len(after) == 0 {
		fmt.Fprintf(w, "%s: bundle check: ok\n", out)
	}
}

// checkRepaired is bundle.Check of the repaired bundle, without the
// problems of a missing facilities file (no centre, sub-centre or work
// station) when the folder has none: facilities are optional for a plan,
// and a repair does not make them.
func checkRepaired(dir string, b *bundle.Bundle) errs.List {
	probs := bundle.Check(b)
	if _, err := os.Stat(filepath.Join(dir, bundle.FacilitiesFile)); err == nil {
		return probs
	}
	var out errs.List
	for _, p := range probs {
		if p.Field == bundle.FacilitiesFile || strings.Contains(p.Msg, " in "+bundle.FacilitiesFile) {
			continue
		}
		out = append(out, p)
	}
	return out
}

// emptyTarget refuses to write into the source folder or into a folder
// holding anything: a repair never overwrites.
func emptyTarget(src, out string) error {
	as, err1 := filepath.Abs(src)
	ao, err2 := filepath.Abs(out)
	if err1 == nil && err2 == nil && filepath.Clean(as) == filepath.Clean(ao) {
		return fmt.Errorf("%w: --out must differ from the bundle folder", errUsage)
	}
	ents, err := os.ReadDir(out)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("cannot read --out: %w", err)
	case len(ents) > 0:
		return fmt.Errorf("%w: --out %s is not empty", errUsage, out)
	}
	return nil
}

// copyTree copies every regular file under src to the same place under dst.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
}
