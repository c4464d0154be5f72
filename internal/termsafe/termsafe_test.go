package termsafe

import (
	"strings"
	"testing"
)

func TestEscape(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"/fc2/Gemm_output_0", "/fc2/Gemm_output_0"},
		{"größe", "größe"},
		{"a\x1b]0;pwned\x07b", `a\x1b]0;pwned\x07b`},
		{"x\rwrote /etc/passwd\n", `x\x0dwrote /etc/passwd\x0a`},
		{"\x9b2J", `\x9b2J`},
		{"ab\u202ecd", `ab\u202ecd`},
		{"bad\xffutf8", `bad\xffutf8`},
		{"tab\there", `tab\x09here`},
	} {
		if got := Escape(tc.in); got != tc.want {
			t.Errorf("Escape(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestCell(t *testing.T) {
	if got := Cell("short", 10); got != "short" {
		t.Errorf("got %q", got)
	}
	long := strings.Repeat("é", 1<<20)
	got := Cell(long, 48)
	if n := len([]rune(got)); n != 48 || !strings.HasSuffix(got, "…") {
		t.Errorf("Cell of 1 Mi runes: %d runes, %q…", n, got[:10])
	}
}
