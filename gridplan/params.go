package gridplan

// Params steer Partition. The zero value is not useful; start from
// DefaultParams.
type Params struct {
	UrbanTarget  int     `json:"urban_target"`  // households a grid in an urban community
	RuralTarget  int     `json:"rural_target"`  // households a grid in a rural village
	TolerancePct float64 `json:"tolerance_pct"` // acceptable deviation from the community mean, percent
	Seed         int64   `json:"seed"`
	// Locked grids are kept as they are (later planner edits); their
	// buildings are not reassigned.
	Locked []Grid `json:"-"`
}

// DefaultParams are the joint-duty model's targets: 500 households a grid in
// urban communities, 300 in rural villages, ±10%.
func DefaultParams() Params {
	return Params{UrbanTarget: 500, RuralTarget: 300, TolerancePct: 10, Seed: 1}
}
