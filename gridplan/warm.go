package gridplan

import (
	"fmt"
	"sort"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/geo"
	"github.com/gridd/gridd/internal/clip"
)

// Warm is a warm start (issue 14): plan again from the grids of a
// previous plan, keeping the Locked ones as they are and, when
// Communities is not empty, re-planning only those communities (every
// other grid of Previous is kept unchanged). gridctl plan --previous
// --locked --community and POST /plans build one.
type Warm struct {
	Previous    []Grid
	Locked      []bundle.GridCode
	Communities []bundle.CommunityCode
}

// WarmStart is a Warm applied to a bundle: the bundle to partition (only
// the re-planned communities and their buildings when Communities was
// given) and the grids kept from the previous plan outside them.
type WarmStart struct {
	Bundle *bundle.Bundle
	Kept   []Grid
}

// Apply sets p.Previous and p.Locked from w and narrows b to
// w.Communities. A locked code that is not a grid of Previous, or a
// community the bundle lacks, is Invalid naming "locked" or
// "communities" and the index. An empty Previous with locked grids or
// communities is Invalid naming "previous".
func (w Warm) Apply(b *bundle.Bundle, p *Params) (*WarmStart, error) {
	out := &WarmStart{Bundle: b}
	if len(w.Previous) == 0 {
		if len(w.Locked) > 0 || len(w.Communities) > 0 {
			return nil, errs.E(errs.Invalid, "previous", "locked grids and communities to re-plan need a previous plan")
		}
		return out, nil
	}
	byCode := make(map[bundle.GridCode]bool, len(w.Previous))
	for _, g := range w.Previous {
		byCode[g.Code] = true
	}
	locked := map[bundle.GridCode]bool{}
	for i, c := range w.Locked {
		if !byCode[c] {
			return nil, errs.E(errs.Invalid, fmt.Sprintf("locked[%d]", i), "grid %q is not in the previous plan", clip.Text(string(c), 40))
		}
		locked[c] = true
	}
	only := map[bundle.CommunityCode]bool{}
	for i, c := range w.Communities {
		if _, ok := b.Community(c); !ok {
			return nil, errs.E(errs.Invalid, fmt.Sprintf("communities[%d]", i), "%q is not a community of the bundle", clip.Text(string(c), 40))
		}
		only[c] = true
	}
	for _, g := range w.Previous {
		if len(only) > 0 && !only[g.Community] {
			out.Kept = append(out.Kept, g)
			continue
		}
		if locked[g.Code] {
			g.Locked = true
			p.Locked = append(p.Locked, g)
		} else {
			p.Previous = append(p.Previous, g)
		}
	}
	if len(only) > 0 {
		out.Bundle = narrow(b, only)
	}
	return out, nil
}

// narrow is b with only the communities in only and the buildings
// /locate's rule puts in them.
func narrow(b *bundle.Bundle, only map[bundle.CommunityCode]bool) *bundle.Bundle {
	nb := *b
	nb.Communities = nil
	var areas []geo.Area
	for _, c := range b.Communities {
		areas = append(areas, geo.Area{Code: string(c.Code), Geom: c.Geom})
		if only[c.Code] {
			nb.Communities = append(nb.Communities, c)
		}
	}
	nb.Buildings = nil
	ix, err := geo.NewPolygonIndex(areas)
	if err != nil {
		return &nb // the partitioner reports the broken community
	}
	for _, bl := range b.Buildings {
		if k, ok := ix.Locate(bl.Loc[0], bl.Loc[1]); ok && only[bundle.CommunityCode(ix.Area(k).Code)] {
			nb.Buildings = append(nb.Buildings, bl)
		}
	}
	return &nb
}

// Merge is the planned grids with the kept ones, in code order.
func (ws *WarmStart) Merge(grids []Grid) []Grid {
	out := append(append([]Grid(nil), ws.Kept...), grids...)
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out
}
