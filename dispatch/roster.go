package dispatch

import (
	"slices"
	"sort"
	"time"

	"github.com/gridd/gridd/bundle"
)

// Shift is one duty shift of a unit or a duty post; see bundle.Shift (the
// bundle reads shifts.csv, so the type lives there). Shift.Validate checks
// it: a non-empty id and subject, end after start, at most
// bundle.MaxShift long.
type Shift = bundle.Shift

// Roster answers who is on duty when. Build it with NewRoster; it is
// immutable and safe for concurrent use. A nil *Roster has no shifts.
//
// The duty rule: a subject with no shifts at all is on the default 24-hour
// duty and always on duty. A subject with at least one shift is on duty
// exactly inside its shifts, each the half-open interval [Start, End): on
// duty at Start, off duty at End (so back-to-back shifts hand over with
// neither a gap nor a double count at the handover instant).
type Roster struct {
	// spans are each subject's shifts merged into disjoint, sorted
	// half-open intervals (unix nanoseconds), for OnDuty's binary search.
	spans map[string][]span
	// byStart is every shift sorted by start, for OnDutyAt; maxLen is the
	// longest shift, which bounds how far back a covering shift starts.
	byStart []Shift
	maxLen  time.Duration
}

type span struct{ start, end int64 }

// NewRoster builds a roster from shifts (which it does not keep or
// change). Shifts are expected to be valid; one whose end is not after its
// start covers nothing.
func NewRoster(shifts []Shift) *Roster {
	r := &Roster{spans: map[string][]span{}, byStart: slices.Clone(shifts)}
	for _, s := range shifts {
		if !s.End.After(s.Start) {
			continue
		}
		r.spans[s.Subject] = append(r.spans[s.Subject], span{s.Start.UnixNano(), s.End.UnixNano()})
		r.maxLen = max(r.maxLen, s.End.Sub(s.Start))
	}
	for subj, ss := range r.spans {
		sort.Slice(ss, func(i, j int) bool { return ss[i].start < ss[j].start })
		merged := ss[:1]
		for _, x := range ss[1:] {
			last := &merged[len(merged)-1]
			if x.start <= last.end {
				last.end = max(last.end, x.end)
				continue
			}
			merged = append(merged, x)
		}
		r.spans[subj] = slices.Clip(merged)
	}
	sort.SliceStable(r.byStart, func(i, j int) bool {
		a, b := r.byStart[i], r.byStart[j]
		if !a.Start.Equal(b.Start) {
			return a.Start.Before(b.Start)
		}
		if a.Subject != b.Subject {
			return a.Subject < b.Subject
		}
		return a.ID < b.ID
	})
	return r
}

// OnDuty reports whether subject is on duty at instant at: always when the
// roster has no shift of subject (the default 24-hour duty), otherwise
// when some shift has Start <= at < End.
func (r *Roster) OnDuty(subject string, at time.Time) bool {
	if r == nil {
		return true
	}
	ss, ok := r.spans[subject]
	if !ok {
		return true
	}
	t := at.UnixNano()
	// The first span starting after t; the one before it is the only
	// candidate (spans are disjoint and sorted).
	lo, hi := 0, len(ss)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if ss[m].start <= t {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo > 0 && t < ss[lo-1].end
}

// HasShifts reports whether the roster names subject at all (a subject it
// does not name is on the default 24-hour duty).
func (r *Roster) HasShifts(subject string) bool {
	if r == nil {
		return false
	}
	_, ok := r.spans[subject]
	return ok
}

// Len is the number of shifts.
func (r *Roster) Len() int {
	if r == nil {
		return 0
	}
	return len(r.byStart)
}

// OnDutyAt returns the shifts covering at (Start <= at < End), ordered by
// start, subject and id.
func (r *Roster) OnDutyAt(at time.Time) []Shift {
	if r == nil {
		return nil
	}
	// Only shifts starting in (at-maxLen, at] can cover at.
	first := sort.Search(len(r.byStart), func(i int) bool { return r.byStart[i].Start.After(at.Add(-r.maxLen)) })
	cand := r.byStart[first:]
	n, last := 0, len(cand)
	for i := range cand {
		if cand[i].Start.After(at) {
			last = i
			break
		}
		if at.Before(cand[i].End) {
			n++
		}
	}
	if n == 0 {
		return nil
	}
	out := make([]Shift, 0, n) // one allocation of the exact size
	for i := range cand[:last] {
		if at.Before(cand[i].End) {
			out = append(out, cand[i])
		}
	}
	return out
}
