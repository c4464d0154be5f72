// Package termsafe makes untrusted strings (names and metadata from a model
// or a dataset) safe to print on a terminal: control characters cannot move
// the cursor, rewrite lines or send escape sequences, and table cells stay
// short.
package termsafe

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Escape returns s with every character a terminal could act on written as
// a Go-style escape: C0 controls (including tab, newline and carriage
// return, so one string stays one line), DEL, C1 controls, the bidirectional
// overrides and isolates (U+202A–U+202E, U+2066–U+2069), the line and
// paragraph separators (U+2028, U+2029), and bytes that are not UTF-8
// (\xNN). A backslash is kept as is. Printable text, including non-ASCII
// letters, is unchanged.
func Escape(s string) string {
	if isSafe(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case unsafeRune(r):
			if r < 0x100 {
				fmt.Fprintf(&b, `\x%02x`, r)
			} else {
				fmt.Fprintf(&b, `\u%04x`, r)
			}
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

func isSafe(s string) bool {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || unsafeRune(r) {
			return false
		}
		i += size
	}
	return true
}

func unsafeRune(r rune) bool {
	switch {
	case r < 0x20, r == 0x7f, r >= 0x80 && r < 0xa0:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x2028, r == 0x2029:
		return true
	}
	return false
}

// Cell is Escape for a table cell: the result holds at most width runes
// (at least 2), the last of them "…" when s was cut, so that one long name
// cannot pad every row of a table to its width.
func Cell(s string, width int) string {
	e := Escape(s)
	if utf8.RuneCountInString(e) <= width {
		return e
	}
	width = max(width, 2)
	n := 0
	for i := range e {
		if n == width-1 {
			return e[:i] + "…"
		}
		n++
	}
	return e
}
