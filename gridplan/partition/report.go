package partition

import (
	"fmt"
	"io"
	"math"
	"sort"
	"text/tabwriter"
	"time"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/geo"
	"github.com/gridd/gridd/gridplan"
)

// GridReport is one grid's line of a Report.
type GridReport struct {
	Code       bundle.GridCode      `json:"code"`
	Community  bundle.CommunityCode `json:"community_code"`
	Kind       bundle.Kind          `json:"kind"`
	Households int                  `json:"households"`
	Target     int                  `json:"target"`
	// CommunityMean is the community's households over its grid count.
	CommunityMean float64 `json:"community_mean"`
	// DeviationPct is the deviation from the community mean, percent.
	DeviationPct float64 `json:"deviation_pct"`
	// TargetDeviationPct is the deviation from the nominal target, percent.
	TargetDeviationPct float64 `json:"target_deviation_pct"`
	AreaM2             float64 `json:"area_m2"`
	PolsbyPopper       float64 `json:"polsby_popper"`
	Parts              int     `json:"parts"`
	// CommunityParts is how many polygons the community itself has.
	CommunityParts int `json:"community_parts"`
	// OwnBuilding marks a grid made for one building with more households
	// than a grid may hold; it is left out of the balance figures.
	OwnBuilding bool `json:"own_building,omitempty"`
}

// Report measures a plan: balance, compactness, contiguity and run time.
type Report struct {
	Grids       int `json:"grids"`
	Communities int `json:"communities"`
	Households  int `json:"households"`
	// UnplacedBuildings lie in no community and belong to no grid.
	UnplacedBuildings int     `json:"unplaced_buildings"`
	TolerancePct      float64 `json:"tolerance_pct"`
	// WithinCommunityMeanShare is the share of grids (of communities with
	// households) within ±TolerancePct of their community's mean.
	WithinCommunityMeanShare float64 `json:"within_community_mean_share"`
	// WithinOutlierShare is the share of those grids within ±OutlierPct
	// (25 %) of their community's mean; the rest are the Outliers.
	WithinOutlierShare float64 `json:"within_outlier_share"`
	// WithinNominalShare is the share of grids within ±15% of the nominal
	// target, over the grids of communities that can reach it.
	WithinNominalShare float64 `json:"within_nominal_share"`
	// NominalExcludedCommunities cannot reach ±15% of the target with any
	// whole number of grids (too small, or between two counts); their
	// NominalExcludedGrids are left out of WithinNominalShare.
	NominalExcludedCommunities int `json:"nominal_excluded_communities"`
	NominalExcludedGrids       int `json:"nominal_excluded_grids"`
	// OwnBuildingGrids were made for one building too big for a grid
	// (households > target + tolerance); they are left out of the balance
	// figures and of their community's mean.
	OwnBuildingGrids   int     `json:"own_building_grids"`
	MaxAbsDeviationPct float64 `json:"max_abs_deviation_pct"`
	MedianPolsbyPopper float64 `json:"median_polsby_popper"`
	P10PolsbyPopper    float64 `json:"p10_polsby_popper"`
	// ContiguousShare is the share of grids that are one polygon, over the
	// grids of single-part communities.
	ContiguousShare float64 `json:"contiguous_share"`
	Seconds         float64 `json:"seconds"`
	// Outliers are the grids beyond ±OutlierPct of their community mean
	// (own-building grids aside), each with why, worst first.
	Outliers []Outlier    `json:"outliers,omitempty"`
	PerGrid  []GridReport `json:"per_grid"`
}

// OutlierPct is the deviation from the community mean beyond which a grid
// is listed among a Report's Outliers with its reason (issue 15: none
// beyond ±25 % unless a single building or the community's total forces
// it).
const OutlierPct = 25

// Outlier reasons.
const (
	// ReasonSingleBuilding: the grid holds a building of more than
	// OutlierPct of the community mean, so that one unit, which no
	// refinement splits, moves the grid across the band.
	ReasonSingleBuilding = "single building"
	// ReasonFewGrids: the community has two grids or fewer besides its
	// own-building grids, so its total leaves one split only.
	ReasonFewGrids = "community total"
	// ReasonSearch: nothing in the data forces it; the search did not
	// find a better split (a gap of the planner, not of the district).
	ReasonSearch = "search"
)

// Outlier is one grid beyond ±OutlierPct of its community mean.
type Outlier struct {
	Code         bundle.GridCode `json:"code"`
	DeviationPct float64         `json:"deviation_pct"`
	Reason       string          `json:"reason"`
	// LargestBuilding is the households of the grid's largest building.
	LargestBuilding int    `json:"largest_building"`
	Detail          string `json:"detail"`
}

// explainOutliers lists the grids beyond ±OutlierPct with their reason;
// largest is each grid's largest building, in PerGrid order.
func (r *Report) explainOutliers(largest []int) {
	grids := map[bundle.CommunityCode]int{}
	for _, g := range r.PerGrid {
		if !g.OwnBuilding {
			grids[g.Community]++
		}
	}
	r.Outliers = nil
	for i, g := range r.PerGrid {
		if g.OwnBuilding || math.Abs(g.DeviationPct) <= OutlierPct {
			continue
		}
		o := Outlier{Code: g.Code, DeviationPct: g.DeviationPct, LargestBuilding: largest[i]}
		switch {
		case float64(largest[i]) > OutlierPct/100.0*g.CommunityMean:
			o.Reason = ReasonSingleBuilding
			o.Detail = fmt.Sprintf("a building of %d households against a community mean of %.0f", largest[i], g.CommunityMean)
		case grids[g.Community] <= 2:
			o.Reason = ReasonFewGrids
			o.Detail = fmt.Sprintf("%d grids share the community's households", grids[g.Community])
		default:
			o.Reason = ReasonSearch
			o.Detail = fmt.Sprintf("largest building %d households, community mean %.0f", largest[i], g.CommunityMean)
		}
		r.Outliers = append(r.Outliers, o)
	}
	sort.SliceStable(r.Outliers, func(a, b int) bool {
		return math.Abs(r.Outliers[a].DeviationPct) > math.Abs(r.Outliers[b].DeviationPct)
	})
}

// nominalPct is the band around the nominal target.
const nominalPct = 15

func newReport(b *bundle.Bundle, grids []gridplan.Grid, own map[bundle.GridCode]bool, p gridplan.Params, unplaced int, took time.Duration) *Report {
	r := &Report{Grids: len(grids), Communities: len(b.Communities), UnplacedBuildings: unplaced,
		TolerancePct: p.TolerancePct, Seconds: took.Seconds()}
	type agg struct{ h, k int }
	comm := map[bundle.CommunityCode]*agg{}
	for _, g := range grids {
		a := comm[g.Community]
		if a == nil {
			a = &agg{}
			comm[g.Community] = a
		}
		r.Households += g.Households
		if own[g.Code] {
			r.OwnBuildingGrids++
			continue
		}
		a.h += g.Households
		a.k++
	}
	parts := map[bundle.CommunityCode]int{}
	for _, c := range b.Communities {
		parts[c.Code] = len(c.Geom)
	}
	excluded := map[bundle.CommunityCode]bool{}
	for code, a := range comm {
		if a.h == 0 {
			continue
		}
		t := 0
		for _, g := range grids {
			if g.Community == code {
				t = g.Target
				break
			}
		}
		if m := float64(a.h) / float64(a.k); math.Abs(m-float64(t)) > nominalPct/100.0*float64(t) {
			excluded[code] = true
		}
	}
	r.NominalExcludedCommunities = len(excluded)
	var within, within25, balanced, nominal, nominalIn, single, singleIn int
	pps := make([]float64, 0, len(grids))
	for _, g := range grids {
		a := comm[g.Community]
		gr := GridReport{Code: g.Code, Community: g.Community, Kind: g.Kind, Households: g.Households,
			Target: g.Target, AreaM2: geo.AreaM2(g.Geom), PolsbyPopper: geo.PolsbyPopper(g.Geom),
			Parts: len(g.Geom), CommunityParts: parts[g.Community]}
		gr.OwnBuilding = own[g.Code]
		if a.k > 0 {
			gr.CommunityMean = float64(a.h) / float64(a.k)
		}
		if a.h > 0 && !gr.OwnBuilding {
			gr.DeviationPct = 100 * (float64(g.Households) - gr.CommunityMean) / gr.CommunityMean
			balanced++
			if math.Abs(gr.DeviationPct) <= p.TolerancePct {
				within++
			}
			if math.Abs(gr.DeviationPct) <= OutlierPct {
				within25++
			}
			r.MaxAbsDeviationPct = math.Max(r.MaxAbsDeviationPct, math.Abs(gr.DeviationPct))
			if excluded[g.Community] {
				r.NominalExcludedGrids++
			} else {
				nominal++
				if math.Abs(float64(g.Households-g.Target)) <= nominalPct/100.0*float64(g.Target) {
					nominalIn++
				}
			}
		}
		gr.TargetDeviationPct = 100 * float64(g.Households-g.Target) / float64(g.Target)
		if gr.CommunityParts == 1 {
			single++
			if gr.Parts == 1 {
				singleIn++
			}
		}
		pps = append(pps, gr.PolsbyPopper)
		r.PerGrid = append(r.PerGrid, gr)
	}
	r.WithinCommunityMeanShare = share(within, balanced)
	r.WithinOutlierShare = share(within25, balanced)
	r.WithinNominalShare = share(nominalIn, nominal)
	r.ContiguousShare = share(singleIn, single)
	sort.Float64s(pps)
	r.MedianPolsbyPopper = quantile(pps, 0.5)
	r.P10PolsbyPopper = quantile(pps, 0.1)
	return r
}

func share(n, d int) float64 {
	if d == 0 {
		return 1
	}
	return float64(n) / float64(d)
}

// quantile of sorted xs by linear interpolation.
func quantile(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	pos := q * float64(len(xs)-1)
	i := int(pos)
	if i+1 >= len(xs) {
		return xs[len(xs)-1]
	}
	f := pos - float64(i)
	return xs[i]*(1-f) + xs[i+1]*f
}

// WriteSummary writes the aggregate figures as a two-column table.
func (r *Report) WriteSummary(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	rows := [][2]string{
		{"grids", fmt.Sprint(r.Grids)},
		{"communities", fmt.Sprint(r.Communities)},
		{"households", fmt.Sprint(r.Households)},
		{"unplaced buildings", fmt.Sprint(r.UnplacedBuildings)},
		{fmt.Sprintf("within ±%g%% of community mean", r.TolerancePct), pct(r.WithinCommunityMeanShare)},
		{fmt.Sprintf("within ±%d%% of community mean", OutlierPct), pct(r.WithinOutlierShare)},
		{fmt.Sprintf("within ±%d%% of nominal target", nominalPct), pct(r.WithinNominalShare)},
		{"  excluded (cannot reach it)", fmt.Sprintf("%d communities, %d grids", r.NominalExcludedCommunities, r.NominalExcludedGrids)},
		{"grids of one too-big building", fmt.Sprint(r.OwnBuildingGrids)},
		{"max |deviation| from mean", fmt.Sprintf("%.1f%%", r.MaxAbsDeviationPct)},
		{"Polsby-Popper median / P10", fmt.Sprintf("%.3f / %.3f", r.MedianPolsbyPopper, r.P10PolsbyPopper)},
		{"single-part (single-part communities)", pct(r.ContiguousShare)},
		{fmt.Sprintf("beyond ±%d%% of mean", OutlierPct), fmt.Sprint(len(r.Outliers))},
		{"seconds", fmt.Sprintf("%.2f", r.Seconds)},
	}
	for _, row := range rows {
		fmt.Fprintf(tw, "%s\t%s\n", row[0], row[1])
	}
	for _, o := range r.Outliers {
		fmt.Fprintf(tw, "  %s %+.1f%%\t%s: %s\n", o.Code, o.DeviationPct, o.Reason, o.Detail)
	}
	return tw.Flush()
}

// WriteTable writes the summary and then one line a grid.
func (r *Report) WriteTable(w io.Writer) error {
	if err := r.WriteSummary(w); err != nil {
		return err
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "code\tkind\thouseholds\ttarget\tdev%\tarea m²\tPP\tparts\t")
	for _, g := range r.PerGrid {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%+.1f\t%.0f\t%.3f\t%d\t\n", g.Code, g.Kind, g.Households, g.Target,
			g.DeviationPct, g.AreaM2, g.PolsbyPopper, g.Parts)
	}
	return tw.Flush()
}

func pct(x float64) string { return fmt.Sprintf("%.1f%%", 100*x) }
