// Package geocode locates address-only reports against the buildings'
// standard addresses (road + house number + 号, as bundle.Building keeps
// them). It is pure: an Index is built once from a bundle and is safe for
// concurrent use.
package geocode

import (
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/errs"
)

// Method says how an address was matched.
type Method string

const (
	Exact Method = "address_exact" // the normalised address equals a building's
	Near  Method = "address_near"  // the same road, the nearest house number
	Fuzzy Method = "address_fuzzy" // the most similar road name
)

// Match is a located address.
type Match struct {
	Loc      orb.Point
	Method   Method
	Score    float64 // 1 exact; near and fuzzy less, lower for a worse match
	Building bundle.BuildingID
	Address  string // the building's standard address
}

// MinFuzzyScore is the lowest road similarity a fuzzy match accepts.
const MinFuzzyScore = 0.5

// Index holds the standard addresses of one bundle.
type Index struct {
	exact map[string]int // normalised address -> building index
	roads map[string][]house
	names []string   // road names, sorted, for the fuzzy pass
	grams [][]string // names' bigrams
	bs    []bundle.Building
}

type house struct {
	num int
	i   int // building index
}

// New builds an index of bs's addresses. Buildings whose address does not
// parse as road + number are still matched exactly.
func New(bs []bundle.Building) *Index {
	x := &Index{exact: map[string]int{}, roads: map[string][]house{}, bs: bs}
	for i, b := range bs {
		n := Normalize(b.Address)
		if n == "" {
			continue
		}
		if _, dup := x.exact[n]; !dup {
			x.exact[n] = i
		}
		if road, num, _, ok := split(n); ok {
			x.roads[road] = append(x.roads[road], house{num, i})
		}
	}
	for r, hs := range x.roads {
		sort.Slice(hs, func(a, b int) bool { return hs[a].num < hs[b].num || hs[a].num == hs[b].num && hs[a].i < hs[b].i })
		x.names = append(x.names, r)
	}
	sort.Strings(x.names)
	for _, r := range x.names {
		x.grams = append(x.grams, bigrams(r))
	}
	return x
}

// Normalize folds an address to the form addresses are compared in:
// full-width digits, letters and spaces to ASCII, spaces removed, ASCII
// letters lower-cased, 號 to 号, 幢 to 栋.
func Normalize(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r >= 0xFF01 && r <= 0xFF5E: // full-width ASCII
			r -= 0xFEE0
		case r == '號':
			r = '号'
		case r == '幢':
			r = '栋'
		}
		if unicode.IsSpace(r) || r == utf8.RuneError {
			continue
		}
		if r >= 'A' && r <= 'Z' {
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// split cuts a normalised address into road, house number and the rest
// after 号 (a building or unit part such as "3栋").
func split(n string) (road string, num int, rest string, ok bool) {
	h := strings.Index(n, "号")
	if h <= 0 {
		return "", 0, "", false
	}
	j := h
	for j > 0 && n[j-1] >= '0' && n[j-1] <= '9' {
		j--
	}
	if j == h || j == 0 || h-j > 6 {
		return "", 0, "", false
	}
	num, err := strconv.Atoi(n[j:h])
	if err != nil {
		return "", 0, "", false
	}
	return n[:j], num, n[h+len("号"):], true
}

// Locate matches addr: exactly first, then the same road with the nearest
// house number (the lower on a tie), then the most similar road name. An
// address nothing matches is NotFound naming the reason.
func (x *Index) Locate(addr string) (Match, error) {
	n := Normalize(addr)
	if n == "" {
		return Match{}, errs.E(errs.Invalid, "address", "the address is empty")
	}
	if i, ok := x.exact[n]; ok {
		return x.match(i, Exact, 1), nil
	}
	road, num, rest, ok := split(n)
	if ok && rest != "" {
		// "测试路12号3栋": the building part is finer than the standard address.
		if i, ok := x.exact[road+strconv.Itoa(num)+"号"]; ok {
			return x.match(i, Exact, 1), nil
		}
	}
	if !ok {
		road, num = n, -1
	}
	if hs, found := x.roads[road]; found {
		h, diff := nearest(hs, num)
		return x.match(h.i, Near, nearScore(diff)), nil
	}
	best, score := x.similarRoad(road)
	if score < MinFuzzyScore {
		return Match{}, errs.E(errs.NotFound, "address", "no standard address resembles %q", addr)
	}
	h, diff := nearest(x.roads[best], num)
	return x.match(h.i, Fuzzy, score*nearScore(diff)), nil
}

func (x *Index) match(i int, m Method, score float64) Match {
	b := &x.bs[i]
	return Match{Loc: b.Loc, Method: m, Score: score, Building: b.ID, Address: b.Address}
}

// nearest returns the house with the number nearest num (the lowest when
// num is -1, i.e. no number) and the difference.
func nearest(hs []house, num int) (house, int) {
	if num < 0 {
		return hs[0], -1
	}
	k := sort.Search(len(hs), func(i int) bool { return hs[i].num >= num })
	switch {
	case k == len(hs):
		return hs[k-1], num - hs[k-1].num
	case k == 0 || hs[k].num == num:
		return hs[k], hs[k].num - num
	}
	if num-hs[k-1].num <= hs[k].num-num {
		return hs[k-1], num - hs[k-1].num
	}
	return hs[k], hs[k].num - num
}

// nearScore falls from 0.9 by 0.02 a house number apart, to 0.5; an
// address without a number scores 0.5.
func nearScore(diff int) float64 {
	if diff < 0 {
		return 0.5
	}
	return max(0.9-0.02*float64(diff), 0.5)
}

// similarRoad returns the road most similar to road by the Dice
// coefficient of their characters and character bigrams together (ties to
// the first in order): a missing or extra character, the commonest slip,
// keeps most of both.
func (x *Index) similarRoad(road string) (string, float64) {
	q := bigrams(road)
	best, score := "", 0.0
	for i, r := range x.names {
		if s := dice(q, x.grams[i]); s > score {
			best, score = r, s
		}
	}
	return best, score
}

func bigrams(s string) []string {
	rs := []rune(s)
	out := make([]string, 0, 2*len(rs))
	for i := range rs {
		out = append(out, string(rs[i]))
	}
	for i := 0; i+1 < len(rs); i++ {
		out = append(out, string(rs[i:i+2]))
	}
	return out
}

func dice(a, b []string) float64 {
	if len(a)+len(b) == 0 {
		return 0
	}
	seen := map[string]int{}
	for _, g := range a {
		seen[g]++
	}
	common := 0
	for _, g := range b {
		if seen[g] > 0 {
			seen[g]--
			common++
		}
	}
	return 2 * float64(common) / float64(len(a)+len(b))
}
