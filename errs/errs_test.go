package errs

import (
	"errors"
	"fmt"
	"testing"
)

func TestCodeOf(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want Code
	}{
		{"nil", nil, ""},
		{"plain", errors.New("x"), Internal},
		{"direct", E(NotFound, "plan", "no plan %d", 3), NotFound},
		{"wrapped", fmt.Errorf("load: %w", E(Conflict, "", "busy")), Conflict},
		{"list", List{E(Invalid, "a", "b")}.Err(), Invalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := CodeOf(tc.err); got != tc.want {
				t.Fatalf("CodeOf = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestErrorText(t *testing.T) {
	e := E(Invalid, "lon", "must be finite, got %v", "NaN")
	if got, want := e.Error(), "invalid: lon: must be finite, got NaN"; got != want {
		t.Fatalf("got %q want %q", got, want)
	}
	l := List{E(Invalid, "a.csv:3", "bad")}
	if got, want := l.Err().Error(), "invalid: 1 problem(s): invalid: a.csv:3: bad"; got != want {
		t.Fatalf("list error %q, want %q", got, want)
	}
	if (List{}).Err() != nil {
		t.Fatal("empty list must be nil error")
	}
}
