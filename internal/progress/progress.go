// Package progress shows progress bars on stderr, and stays quiet when asked
// to or when stderr is not a terminal.
package progress

import (
	"io"
	"os"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// Enabled reports whether progress should be drawn: not quiet, and stderr
// is a terminal.
func Enabled(quiet bool) bool {
	return !quiet && term.IsTerminal(int(os.Stderr.Fd()))
}

// Writer returns where progress text goes: stderr when Enabled, else io.Discard.
func Writer(quiet bool) io.Writer {
	if Enabled(quiet) {
		return os.Stderr
	}
	return io.Discard
}

// New returns a bar over total steps (-1 for unknown) described by desc. It
// draws nothing unless Enabled(quiet).
func New(total int64, desc string, quiet bool) *progressbar.ProgressBar {
	if !Enabled(quiet) {
		return progressbar.DefaultSilent(total, desc)
	}
	return progressbar.NewOptions64(total,
		progressbar.OptionSetDescription(desc),
		progressbar.OptionSetWriter(os.Stderr),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100_000_000),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionOnCompletion(func() { os.Stderr.WriteString("\n") }),
	)
}
