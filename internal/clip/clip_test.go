package clip

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestText(t *testing.T) {
	for _, tc := range []struct {
		s    string
		n    int
		want string
	}{
		{"", 3, ""},
		{"abc", 3, "abc"},
		{"abcd", 3, "abc…"},
		{"浦口区江浦街道", 4, "浦口区江…"},
		{"浦口区", 3, "浦口区"},
		{"a浦b", 2, "a浦…"},
		{"abc", 0, "…"},
		{"abc", -1, "…"},
		{"", 0, ""},
		{"\xff\xfeab", 2, "\xff\xfe…"}, // invalid bytes count one each and are kept
	} {
		if got := Text(tc.s, tc.n); got != tc.want {
			t.Errorf("Text(%q, %d) = %q, want %q", tc.s, tc.n, got, tc.want)
		}
	}
}

// FuzzText: the result is s, or a prefix of s of at most n characters
// followed by the ellipsis; valid input stays valid.
func FuzzText(f *testing.F) {
	f.Add("浦口区江浦街道", 4)
	f.Add("abc", 0)
	f.Add("\xe6\xb5", 1)
	f.Fuzz(func(t *testing.T, s string, n int) {
		got := Text(s, n)
		if got == s {
			if utf8.RuneCountInString(s) > max(n, 0) {
				t.Fatalf("Text(%q, %d) did not shorten", s, n)
			}
			return
		}
		head, ok := strings.CutSuffix(got, Ellipsis)
		if !ok || !strings.HasPrefix(s, head) {
			t.Fatalf("Text(%q, %d) = %q: not a prefix and the ellipsis", s, n, got)
		}
		if c := utf8.RuneCountInString(head); c != max(n, 0) {
			t.Fatalf("Text(%q, %d) kept %d characters", s, n, c)
		}
		if utf8.ValidString(s) && !utf8.ValidString(got) {
			t.Fatalf("Text(%q, %d) = %q is not valid UTF-8", s, n, got)
		}
	})
}

func ExampleText() {
	fmt.Println(Text("江浦街道 320111001", 4))
	fmt.Println(Text("P12", 40))
	// Output:
	// 江浦街道…
	// P12
}
