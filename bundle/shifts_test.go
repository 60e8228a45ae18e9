package bundle

import (
	"strings"
	"testing"
	"time"

	"github.com/gridd/gridd/errs"
)

func TestReadShifts(t *testing.T) {
	ok := "unit_or_post,start,end\nP001,2026-12-03T08:00:00+08:00,2026-12-03T16:00:00+08:00\n"
	got, probs := ReadShifts(strings.NewReader(ok))
	if probs != nil || len(got) != 1 {
		t.Fatalf("got %v, %v", got, probs)
	}
	s := got[0]
	if s.Subject != "P001" || !s.Start.Equal(time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)) || s.End.Sub(s.Start) != 8*time.Hour ||
		s.ID != "P001@2026-12-03T00:00:00Z" || s.Start.Location() != time.UTC {
		t.Fatalf("shift %+v", s)
	}
	withID := "\ufeffnote,id,end,start,unit_or_post\n\"day, north\",s7,2026-12-03T16:00:00Z,2026-12-03T08:00:00Z,C1\n"
	got, probs = ReadShifts(strings.NewReader(withID))
	if probs != nil || len(got) != 1 || got[0].ID != "s7" || got[0].Note != "day, north" || got[0].Subject != "C1" {
		t.Fatalf("columns in any order: %+v %v", got, probs)
	}

	bad := []struct {
		name, in, field string
	}{
		{"empty", "", "shifts.csv"},
		{"unknown column", "unit_or_post,start,end,colour\n", "shifts.csv:1:4"},
		{"missing column", "unit_or_post,start\n", "shifts.csv:1"},
		{"bad start", "unit_or_post,start,end\nP1,2026-12-03T08:00:00Z,2026-12-03T16:00:00Z\nP1,8am,2026-12-03T16:00:00Z\n", "shifts.csv:3:2 start"},
		{"no offset", "unit_or_post,start,end\nP1,2026-12-03T08:00:00,2026-12-03T16:00:00Z\n", "shifts.csv:2:2 start"},
		{"end before start", "unit_or_post,start,end\nP1,2026-12-03T08:00:00Z,2026-12-03T07:00:00Z\n", "shifts.csv:2:3 end"},
		{"too long", "unit_or_post,start,end\nP1,2026-12-03T08:00:00Z,2026-12-06T07:00:00Z\n", "shifts.csv:2:3 end"},
		{"empty subject", "unit_or_post,start,end\n,2026-12-03T08:00:00Z,2026-12-03T09:00:00Z\n", "shifts.csv:2:1 unit_or_post"},
		{"field count", "unit_or_post,start,end\nP1,2026-12-03T08:00:00Z\n", "shifts.csv:2"},
		{"bad id", "id,unit_or_post,start,end\na b,P1,2026-12-03T08:00:00Z,2026-12-03T09:00:00Z\n", "shifts.csv:2:1 id"},
		{"not utf-8", "unit_or_post,start,end\nP\xff,2026-12-03T08:00:00Z,2026-12-03T09:00:00Z\n", "shifts.csv:2:2"},
		{"control in note", "unit_or_post,start,end,note\nP1,2026-12-03T08:00:00Z,2026-12-03T09:00:00Z,a\x01\n", "shifts.csv:2:4 note"},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			_, probs := ReadShifts(strings.NewReader(c.in))
			if len(probs) == 0 {
				t.Fatal("no problem reported")
			}
			if probs[0].Field != c.field || probs[0].Code != errs.Invalid {
				t.Fatalf("problem %q: %s, want field %q", probs[0].Field, probs[0].Msg, c.field)
			}
		})
	}
}

func TestWriteShiftsRoundTrip(t *testing.T) {
	day := time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)
	in := []Shift{{ID: "a", Subject: "P1", Start: day, End: day.Add(8 * time.Hour), Note: "night, \"quiet\""},
		{ID: "b", Subject: "C1", Start: day.Add(time.Microsecond), End: day.Add(24 * time.Hour)}}
	got, probs := ReadShifts(strings.NewReader(string(WriteShifts(in))))
	if probs != nil || len(got) != 2 {
		t.Fatalf("%v %v", got, probs)
	}
	for i := range in {
		if got[i] != in[i] {
			t.Errorf("shift %d: %+v, want %+v", i, got[i], in[i])
		}
	}
}

func TestCheckShifts(t *testing.T) {
	b := &Bundle{
		Facilities: []Facility{{Kind: Centre, Code: "C"}, {Kind: Subcentre, Code: "S1"}, {Kind: Workstation, Code: "WS1"}},
		Patrols:    []Patrol{{ID: "P1"}},
		Workers:    []Worker{{ID: "W1"}},
	}
	day := time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)
	mk := func(id, subj string, h int) Shift {
		return Shift{ID: id, Subject: subj, Start: day, End: day.Add(time.Duration(h) * time.Hour)}
	}
	good := []Shift{mk("1", "P1", 8), mk("2", "W1", 8), mk("3", "C", 24), mk("4", "S1", 24)}
	if probs := CheckShifts(b, good); probs != nil {
		t.Fatalf("clean roster: %v", probs)
	}
	probs := CheckShifts(b, []Shift{mk("1", "P1", 8), mk("1", "W1", 8), mk("3", "WS1", 8), mk("4", "X", 8), mk("5", "P1", 0)})
	want := []string{"shifts.csv:3 id", "shifts.csv:4 unit_or_post", "shifts.csv:5 unit_or_post", "shifts.csv:6 end"}
	if len(probs) != len(want) {
		t.Fatalf("problems %v, want fields %v", probs, want)
	}
	for i, w := range want {
		if probs[i].Field != w {
			t.Errorf("problem %d: %q (%s), want %q", i, probs[i].Field, probs[i].Msg, w)
		}
	}
}

func TestShiftValidate(t *testing.T) {
	day := time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)
	ok := Shift{ID: "x", Subject: "P1", Start: day, End: day.Add(MaxShift)}
	cases := []struct {
		mut   func(*Shift)
		field string
	}{
		{func(s *Shift) {}, ""},
		{func(s *Shift) { s.ID = "" }, "id"},
		{func(s *Shift) { s.Subject = "" }, "subject"},
		{func(s *Shift) { s.Start = time.Time{} }, "start"},
		{func(s *Shift) { s.End = time.Time{} }, "end"},
		{func(s *Shift) { s.End = s.Start }, "end"},
		{func(s *Shift) { s.End = s.End.Add(time.Second) }, "end"},
		{func(s *Shift) { s.Note = strings.Repeat("x", MaxNoteLen+1) }, "note"},
	}
	for i, c := range cases {
		s := ok
		c.mut(&s)
		err := s.Validate()
		if c.field == "" {
			if err != nil {
				t.Errorf("case %d: %v", i, err)
			}
			continue
		}
		if e, isE := errs.As(err); !isE || e.Field != c.field {
			t.Errorf("case %d: %v, want field %s", i, err, c.field)
		}
	}
}

// FuzzShiftsCSV: the reader never panics; every problem names the file
// and a line; every shift it returns is valid.
func FuzzShiftsCSV(f *testing.F) {
	f.Add("unit_or_post,start,end\nP1,2026-12-03T08:00:00Z,2026-12-03T16:00:00Z\n")
	f.Add("id,unit_or_post,start,end,note\ns,P1,2026-12-03T08:00:00+08:00,2026-12-03T16:00:00Z,\"a\nb\"\n")
	f.Add("unit_or_post,start,end\n\"P1,2026\n")
	f.Add("start,end,unit_or_post\nx,y,z\n")
	f.Fuzz(func(t *testing.T, in string) {
		shifts, probs := ReadShifts(strings.NewReader(in))
		for _, p := range probs {
			if !strings.HasPrefix(p.Field, ShiftsFile) || p.Code != errs.Invalid {
				t.Fatalf("problem %q %q does not name the file", p.Field, p.Msg)
			}
			if p.Field != ShiftsFile && !strings.HasPrefix(p.Field, ShiftsFile+":") {
				t.Fatalf("problem %q does not name a line", p.Field)
			}
		}
		for _, s := range shifts {
			if err := s.Validate(); err != nil {
				t.Fatalf("returned an invalid shift %+v: %v", s, err)
			}
		}
	})
}
