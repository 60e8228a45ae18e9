// Package clip shortens text that gridd echoes back: a caller's input
// quoted in an error message, a body in a test failure. One rule for every
// package, so that no message cuts a character in half.
package clip

import "unicode/utf8"

// Ellipsis marks text that Text shortened.
const Ellipsis = "…"

// Text returns s when it holds at most n characters (runes), else its
// first n characters followed by Ellipsis. It never cuts inside a UTF-8
// sequence, so valid UTF-8 stays valid (an address in Chinese is three
// bytes a character); invalid bytes in s each count as one character and
// are kept as they are. n ≤ 0 gives Ellipsis alone for a non-empty s.
func Text(s string, n int) string {
	n = max(n, 0)
	i, count := 0, 0
	for i < len(s) {
		if count == n {
			return s[:i] + Ellipsis
		}
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
		count++
	}
	return s
}
