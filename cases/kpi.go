package cases

import (
	"math"
	"sort"
	"time"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/geo"
)

// Level is the area a KPI query covers.
type Level string

const (
	LevelDistrict  Level = "district"
	LevelStreet    Level = "street"
	LevelCommunity Level = "community"
	LevelGrid      Level = "grid"
)

// KPIQuery selects the cases KPIs are computed over: those reported in
// [From, To) in the area, void cases left out. AsOf is the time "due" is
// judged at (the caller's clock, capped at To). BBox, when set, further
// keeps the cases located in it (WGS84; closed: a case on its edge is in),
// so a map can ask for the visible area.
type KPIQuery struct {
	Level    Level
	Code     string // empty for the district
	From, To time.Time
	AsOf     time.Time
	BBox     *orb.Bound
}

// Validate checks the query.
func (q *KPIQuery) Validate() error {
	var l errs.List
	switch q.Level {
	case LevelDistrict:
		if q.Code != "" {
			l = append(l, errs.E(errs.Invalid, "code", "the district level takes no code"))
		}
	case LevelStreet, LevelCommunity, LevelGrid:
		if q.Code == "" {
			l = append(l, errs.E(errs.Invalid, "code", "level %s needs a code", q.Level))
		}
	default:
		l = append(l, errs.E(errs.Invalid, "level", "%q is not district, street, community or grid", q.Level))
	}
	if q.From.IsZero() || q.To.IsZero() || !q.From.Before(q.To) {
		l = append(l, errs.E(errs.Invalid, "from", "from must be before to"))
	}
	if q.AsOf.IsZero() {
		l = append(l, errs.E(errs.Invalid, "as_of", "required"))
	}
	if b := q.BBox; b != nil && !(b.Min[0] <= b.Max[0] && b.Min[1] <= b.Max[1] && geo.ValidLonLat(b.Min[0], b.Min[1]) && geo.ValidLonLat(b.Max[0], b.Max[1])) {
		l = append(l, errs.E(errs.Invalid, "bbox", "want min lon,lat before max lon,lat, within WGS84 range"))
	}
	return firstOrList(l)
}

// KPIs are the evaluation figures of a period. Rates are 0 when their
// denominator is 0; medians are in minutes, -1 when nothing was measured.
type KPIs struct {
	Cases        int     `json:"cases"`
	Closed       int     `json:"closed"`
	Due          int     `json:"due"`
	ClosureRate  float64 `json:"closure_rate"` // closed among due / due
	OnTimeRate   float64 `json:"on_time_rate"` // closed by their due time / due
	ReworkRate   float64 `json:"rework_rate"`  // closed cases that were sent back at least once / closed
	OnSiteShare  float64 `json:"on_site_share"`
	Median       Medians `json:"median_minutes"`
	Satisfaction struct {
		Mean  float64 `json:"mean"`
		Count int     `json:"count"`
	} `json:"satisfaction"`
	ByChannel  map[string]int `json:"by_channel"`
	ByCategory map[string]int `json:"by_category"`
	Workload   struct {
		Departments []Workload `json:"departments"`
		Units       []Workload `json:"units"`
	} `json:"workload"`
}

// Medians are median times in minutes: report to first dispatch, dispatch
// to accept, dispatch to arrival, report to close.
type Medians struct {
	Dispatch float64 `json:"dispatch"`
	Accept   float64 `json:"accept"`
	Arrive   float64 `json:"arrive"`
	Close    float64 `json:"close"`
}

// Workload is what one department or unit handled in the period: cases
// dispatched to it, hours from dispatch to resolution of those resolved,
// and their cost from the category table (费随事转).
type Workload struct {
	Code     string  `json:"code"`
	Cases    int     `json:"cases"`
	Hours    float64 `json:"hours"`
	CostYuan float64 `json:"cost_yuan"`
}

// InArea reports whether c lies in q's area.
func (q *KPIQuery) InArea(c *Case) bool {
	if q.BBox != nil && !q.BBox.Contains(c.Loc) {
		return false
	}
	switch q.Level {
	case LevelStreet:
		return c.Street == q.Code
	case LevelCommunity:
		return c.Community == q.Code
	case LevelGrid:
		return c.Grid == q.Code
	}
	return true
}

// ComputeKPIs computes the KPIs of q over cs in Go. The stores compute
// them in SQL; this is the independent computation the tests compare
// against, and it documents the definitions.
func ComputeKPIs(cs []Case, q KPIQuery) KPIs {
	var k KPIs
	k.ByChannel, k.ByCategory = map[string]int{}, map[string]int{}
	var disp, acc, arr, clo, sat []float64
	onSite, closedDue, onTime, reworked := 0, 0, 0, 0
	dept, unit := map[string]*Workload{}, map[string]*Workload{}
	for i := range cs {
		c := &cs[i]
		if c.Stage == Void || c.ReportedAt.Before(q.From) || !c.ReportedAt.Before(q.To) || !q.InArea(c) {
			continue
		}
		k.Cases++
		k.ByChannel[string(c.Channel)]++
		k.ByCategory[c.Category]++
		if c.Path == OnSite {
			onSite++
		}
		closed := !c.ClosedAt.IsZero()
		if closed {
			k.Closed++
			if c.Rework > 0 {
				reworked++
			}
		}
		if closed || !c.DueAt.After(q.AsOf) {
			k.Due++
			if closed {
				closedDue++
				if !c.ClosedAt.After(c.DueAt) {
					onTime++
				}
			}
		}
		if !c.DispatchedAt.IsZero() {
			disp = append(disp, minutes(c.DispatchedAt.Sub(c.ReportedAt)))
			if !c.AcceptedAt.IsZero() {
				acc = append(acc, minutes(c.AcceptedAt.Sub(c.DispatchedAt)))
			}
			if !c.ArrivedAt.IsZero() {
				arr = append(arr, minutes(c.ArrivedAt.Sub(c.DispatchedAt)))
			}
		}
		if closed {
			clo = append(clo, minutes(c.ClosedAt.Sub(c.ReportedAt)))
		}
		if c.Satisfaction > 0 {
			sat = append(sat, float64(c.Satisfaction))
		}
		addWorkload(dept, c.Department, c)
		addWorkload(unit, c.Unit, c)
	}
	k.ClosureRate = ratio(closedDue, k.Due)
	k.OnTimeRate = ratio(onTime, k.Due)
	k.ReworkRate = ratio(reworked, k.Closed)
	k.OnSiteShare = ratio(onSite, k.Cases)
	k.Median = Medians{Dispatch: Median(disp), Accept: Median(acc), Arrive: Median(arr), Close: Median(clo)}
	k.Satisfaction.Count = len(sat)
	if len(sat) > 0 {
		s := 0.0
		for _, v := range sat {
			s += v
		}
		k.Satisfaction.Mean = s / float64(len(sat))
	}
	k.Workload.Departments = workloads(dept)
	k.Workload.Units = workloads(unit)
	return k
}

func addWorkload(m map[string]*Workload, code string, c *Case) {
	if code == "" || c.DispatchedAt.IsZero() {
		return
	}
	w := m[code]
	if w == nil {
		w = &Workload{Code: code}
		m[code] = w
	}
	w.Cases++
	w.CostYuan += c.CostYuan
	if !c.ResolvedAt.IsZero() {
		w.Hours += c.ResolvedAt.Sub(c.DispatchedAt).Hours()
	}
}

// workloads lists m's entries by code.
func workloads(m map[string]*Workload) []Workload {
	out := make([]Workload, 0, len(m))
	for _, w := range m {
		out = append(out, *w)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out
}

func minutes(d time.Duration) float64 { return d.Minutes() }

func ratio(n, d int) float64 {
	if d == 0 {
		return 0
	}
	return float64(n) / float64(d)
}

// Median is the median of v (the mean of the middle two for an even
// count), -1 for none. v is sorted in place.
func Median(v []float64) float64 {
	if len(v) == 0 {
		return -1
	}
	sort.Float64s(v)
	n := len(v)
	if n%2 == 1 {
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}

// RoundKPIs rounds rates, medians and sums to 1e-6 so that figures from
// SQL and from Go compare equal.
func RoundKPIs(k *KPIs) {
	r := func(x float64) float64 { return math.Round(x*1e6) / 1e6 }
	k.ClosureRate, k.OnTimeRate, k.ReworkRate, k.OnSiteShare = r(k.ClosureRate), r(k.OnTimeRate), r(k.ReworkRate), r(k.OnSiteShare)
	k.Median = Medians{r(k.Median.Dispatch), r(k.Median.Accept), r(k.Median.Arrive), r(k.Median.Close)}
	k.Satisfaction.Mean = r(k.Satisfaction.Mean)
	for _, ws := range [][]Workload{k.Workload.Departments, k.Workload.Units} {
		for i := range ws {
			ws[i].Hours, ws[i].CostYuan = r(ws[i].Hours), r(ws[i].CostYuan)
		}
	}
}
