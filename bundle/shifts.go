package bundle

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/internal/clip"
)

// ShiftsFile is the optional duty roster of a bundle folder.
const ShiftsFile = "shifts.csv"

// MaxShift is the longest shift accepted: a 24-hour duty with a handover
// on either side fits, a typo of a day or a month does not.
const MaxShift = 48 * time.Hour

// MaxShiftIDLen and MaxNoteLen bound a shift's id and note, in bytes.
const (
	MaxShiftIDLen = 128
	MaxNoteLen    = 500
)

// Shift is one duty shift of a subject: a unit (a patrol or grid worker,
// by id) or a duty post (the district command centre or a street's
// command sub-centre, by facility code), on duty from Start up to but not
// including End. Times are UTC instants.
//
// dispatch.Shift is this type: it lives here because the bundle reads
// shifts.csv and dispatch already imports bundle.
type Shift struct {
	ID      string    `json:"id"`
	Subject string    `json:"subject"`
	Start   time.Time `json:"start"`
	End     time.Time `json:"end"`
	Note    string    `json:"note,omitempty"`
}

// ShiftID is the id a shift without one gets: its subject and start, so
// that importing the same roster twice gives the same ids.
func ShiftID(subject string, start time.Time) string {
	return subject + "@" + start.UTC().Format(time.RFC3339)
}

// Validate checks one shift on its own and returns the first problem as
// errs.Invalid naming the field ("id", "subject", "start", "end", "note").
func (s Shift) Validate() error {
	if m := badID(s.Subject, MaxIDLen); m != "" {
		return errs.E(errs.Invalid, "subject", "%s", m)
	}
	if m := badID(s.ID, MaxShiftIDLen); m != "" {
		return errs.E(errs.Invalid, "id", "%s", m)
	}
	switch {
	case s.Start.IsZero():
		return errs.E(errs.Invalid, "start", "is missing")
	case s.End.IsZero():
		return errs.E(errs.Invalid, "end", "is missing")
	case !s.End.After(s.Start):
		return errs.E(errs.Invalid, "end", "%s is not after start %s", s.End.UTC().Format(time.RFC3339), s.Start.UTC().Format(time.RFC3339))
	case s.End.Sub(s.Start) > MaxShift:
		return errs.E(errs.Invalid, "end", "the shift lasts %s, longer than the %s a shift may", s.End.Sub(s.Start), MaxShift)
	case len(s.Note) > MaxNoteLen:
		return errs.E(errs.Invalid, "note", "is longer than %d bytes", MaxNoteLen)
	}
	if m := badText(s.Note); m != "" {
		return errs.E(errs.Invalid, "note", "%s", m)
	}
	return nil
}

// Normal returns s with UTC times truncated to the microsecond (what both
// stores keep) and its default id when it has none.
func (s Shift) Normal() Shift {
	s.Start = s.Start.UTC().Truncate(time.Microsecond)
	s.End = s.End.UTC().Truncate(time.Microsecond)
	if s.ID == "" && s.Subject != "" && !s.Start.IsZero() {
		s.ID = ShiftID(s.Subject, s.Start)
	}
	return s
}

// badID says what is wrong with an id ("" if nothing): not empty, at most
// max bytes, valid UTF-8 without spaces or control characters.
func badID(s string, max int) string {
	switch {
	case s == "":
		return "is empty"
	case len(s) > max:
		return fmt.Sprintf("is longer than %d bytes", max)
	case !utf8.ValidString(s):
		return "is not valid UTF-8"
	}
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return fmt.Sprintf("%q contains a space or control character %U", s, r)
		}
	}
	return ""
}

// shiftColumns are the columns shifts.csv may have; the first three are
// required, in any order.
var shiftColumns = []string{"unit_or_post", "start", "end", "id", "note"}

// ReadShifts parses shifts.csv: a header naming unit_or_post, start and
// end (RFC 3339 times with an offset) and optionally id and note, in any
// order, then one shift a record. It reads through the bundle input gate
// (size cap, UTF-8, BOM) and returns every problem, each naming
// "shifts.csv:LINE:COLUMN field" (COLUMN is the 1-based field number). A
// shift without an id gets ShiftID.
func ReadShifts(r io.Reader) ([]Shift, errs.List) { return ReadShiftsNamed(ShiftsFile, r) }

// ReadShiftsNamed is ReadShifts naming the input file in problems (an
// HTTP body is "body").
func ReadShiftsNamed(file string, r io.Reader) ([]Shift, errs.List) {
	data, e := readInput(file, r)
	if e != nil {
		return nil, errs.List{e}
	}
	return parseShifts(file, data)
}

func parseShifts(file string, data []byte) ([]Shift, errs.List) {
	cr := csv.NewReader(bytes.NewReader(data))
	cr.ReuseRecord = true
	hdr, err := cr.Read()
	if err != nil {
		if err == io.EOF {
			return nil, errs.List{errs.E(errs.Invalid, file, "empty file, want header unit_or_post,start,end[,id][,note]")}
		}
		return nil, errs.List{errs.E(errs.Invalid, file+":1", "bad header: %v", csvMsg(err))}
	}
	col := map[string]int{}
	for i, h := range hdr {
		h = strings.TrimSpace(h)
		known := false
		for _, c := range shiftColumns {
			known = known || c == h
		}
		if !known {
			return nil, errs.List{errs.E(errs.Invalid, fmt.Sprintf("%s:1:%d", file, i+1), "unknown column %q, want unit_or_post,start,end and optionally id,note", clip.Text(h, 40))}
		}
		if _, dup := col[h]; dup {
			return nil, errs.List{errs.E(errs.Invalid, fmt.Sprintf("%s:1:%d", file, i+1), "column %q twice", h)}
		}
		col[h] = i
	}
	for _, c := range shiftColumns[:3] {
		if _, ok := col[c]; !ok {
			return nil, errs.List{errs.E(errs.Invalid, file+":1", "header has no %s column, want unit_or_post,start,end[,id][,note]", c)}
		}
	}
	cr.FieldsPerRecord = len(hdr)
	var out []Shift
	var probs errs.List
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			p, stop := csvReadProblem(file, data, err)
			if probs = append(probs, p); stop || len(probs) > 100 {
				break
			}
			continue
		}
		line, _ := cr.FieldPos(0)
		at := func(name string) string { return fmt.Sprintf("%s:%d:%d %s", file, line, col[name]+1, name) }
		get := func(name string) string {
			if i, ok := col[name]; ok {
				return rec[i]
			}
			return ""
		}
		s := Shift{Subject: strings.TrimSpace(get("unit_or_post")), ID: strings.TrimSpace(get("id")), Note: get("note")}
		var bad *errs.Error
		for _, name := range []string{"start", "end"} {
			t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(get(name)))
			if err != nil {
				bad = errs.E(errs.Invalid, at(name), "%q is not an RFC 3339 time with an offset (2026-12-03T08:00:00+08:00)", clip.Text(get(name), 40))
				break
			}
			if name == "start" {
				s.Start = t
			} else {
				s.End = t
			}
		}
		if bad == nil {
			s = s.Normal()
			if err := s.Validate(); err != nil {
				e, _ := errs.As(err)
				name := e.Field
				if name == "subject" {
					name = "unit_or_post"
				}
				if _, ok := col[name]; ok {
					bad = errs.E(errs.Invalid, at(name), "%s", e.Msg)
				} else {
					bad = errs.E(errs.Invalid, fmt.Sprintf("%s:%d %s", file, line, name), "%s", e.Msg)
				}
			}
		}
		if bad != nil {
			probs = append(probs, bad)
			if len(probs) > 1000 {
				probs = append(probs, errs.E(errs.Invalid, file, "too many problems, stopped"))
				break
			}
			continue
		}
		out = append(out, s)
	}
	return out, probs
}

// ReadShiftsFS reads dir/shifts.csv from fsys if there is one: ok is false
// (and no problems) when the bundle has no roster.
func ReadShiftsFS(fsys fs.FS, dir string) (shifts []Shift, ok bool, probs errs.List) {
	f, err := fsys.Open(path.Join(dir, ShiftsFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, true, errs.List{errs.E(errs.Invalid, ShiftsFile, "cannot open: %v", err)}
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() && st.Size() > maxFile {
		return nil, true, errs.List{tooLarge(ShiftsFile, maxFile)}
	}
	shifts, probs = ReadShifts(f)
	return shifts, true, probs
}

// WriteShifts writes shifts as shifts.csv text (id, unit_or_post, start,
// end, note), the form ReadShifts reads back.
func WriteShifts(shifts []Shift) []byte {
	return csvBytes([]string{"id", "unit_or_post", "start", "end", "note"}, len(shifts), func(i int) []string {
		s := shifts[i]
		return []string{s.ID, s.Subject, s.Start.UTC().Format(time.RFC3339Nano), s.End.UTC().Format(time.RFC3339Nano), s.Note}
	})
}

// DutyPosts are the subjects a roster may name besides units: the codes
// of the district centre and the street sub-centres.
func (b *Bundle) DutyPosts() map[string]FacilityKind {
	out := map[string]FacilityKind{}
	for _, f := range b.Facilities {
		if f.Kind == Centre || f.Kind == Subcentre {
			out[f.Code] = f.Kind
		}
	}
	return out
}

// CheckShifts checks a roster against the bundle: every subject is a
// patrol id, a worker id or the code of the centre or a sub-centre, and
// ids are unique. Problems name "shifts.csv:LINE" (one line a record after
// the header, as WriteShifts writes) and say which shift.
func CheckShifts(b *Bundle, shifts []Shift) errs.List {
	known := map[string]bool{}
	for _, p := range b.Patrols {
		known[p.ID] = true
	}
	for _, w := range b.Workers {
		known[w.ID] = true
	}
	for code := range b.DutyPosts() {
		known[code] = true
	}
	var probs errs.List
	seen := map[string]int{}
	for i, s := range shifts {
		w := line(ShiftsFile, i)
		if err := s.Validate(); err != nil {
			e, _ := errs.As(err)
			probs = append(probs, errs.E(errs.Invalid, w+" "+e.Field, "%s", e.Msg))
			continue
		}
		if j, dup := seen[s.ID]; dup {
			probs = append(probs, errs.E(errs.Invalid, w+" id", "duplicate id %q (also line %d)", s.ID, j+2))
		} else {
			seen[s.ID] = i
		}
		if !known[s.Subject] {
			probs = append(probs, errs.E(errs.Invalid, w+" unit_or_post", "%q is not a patrol, a grid worker, the centre or a sub-centre of the bundle", s.Subject))
		}
	}
	return probs
}
