package command

import (
	"github.com/schollz/progressbar/v3"

	"github.com/conceptcells/conceptcells/internal/progress"
	"github.com/conceptcells/conceptcells/probe"
)

// stageBar draws the progress a library reports through a callback as
// one progress bar per run of a stage on stderr (none when quiet or not a
// terminal): a new bar when the stage changes or starts again, finished
// when done reaches total.
type stageBar struct {
	quiet bool
	bar   *progressbar.ProgressBar
	stage string
	last  int
}

// update shows done of total steps of stage, described by desc ("" keeps
// the bar's description, which starts as stage).
func (b *stageBar) update(stage, desc string, done, total int) {
	if b.bar == nil || stage != b.stage || done < b.last {
		b.finish()
		b.bar, b.stage = progress.New(int64(total), stage, b.quiet), stage
	}
	b.last = done
	if desc != "" {
		b.bar.Describe(desc)
	}
	b.bar.Set(done)
	if done >= total {
		b.finish()
	}
}

// report is update without a description, the shape of the libraries'
// progress callbacks (probe.Progress, dataset.Progress).
func (b *stageBar) report(stage string, done, total int) {
	b.update(stage, "", done, total)
}

// finish completes and clears the open bar, if any.
func (b *stageBar) finish() {
	if b.bar != nil {
		b.bar.Finish()
		b.bar = nil
	}
}

// exit leaves the open bar, if any, as it stands (after an error).
func (b *stageBar) exit() {
	if b.bar != nil {
		b.bar.Exit()
		b.bar = nil
	}
}

// stageBars returns a probe.Progress drawing stage bars (see stageBar).
func stageBars(quiet bool) probe.Progress {
	return (&stageBar{quiet: quiet}).report
}
