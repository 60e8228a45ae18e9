package cases

import (
	"fmt"
	"testing"
)

func TestUnitKinds(t *testing.T) {
	cats, err := DefaultCategories()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ code, want string }{
		{"str_illegal_parking", "[patrol]"},
		{"sec_suspicious", "[patrol]"},
		{"env_litter", "[patrol worker]"},
		{"gov_neighbour_dispute", "[patrol worker]"},
		{"env_sewage", "[]"},
	}
	for _, tc := range tests {
		c, ok := cats.Get(tc.code)
		if !ok {
			t.Fatalf("no category %s", tc.code)
		}
		if got := fmt.Sprint(c.UnitKinds()); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.code, got, tc.want)
		}
	}
}
