package command

import "testing"

// A stageBar opens a bar per run of a stage and closes it at the end, on
// a stage change or when a stage starts again; finish and exit are safe
// with no bar open.
func TestStageBar(t *testing.T) {
	b := &stageBar{quiet: true}
	b.finish()
	b.exit()
	b.report("a", 0, 3)
	first := b.bar
	b.update("a", "a step", 1, 3)
	if b.bar != first || b.bar == nil {
		t.Fatal("a step of the same stage opened a new bar")
	}
	b.report("a", 0, 3) // the stage starts again
	if b.bar == first {
		t.Error("a restarted stage kept its bar")
	}
	b.report("b", 1, 2)
	if b.stage != "b" {
		t.Errorf("stage %q, want b", b.stage)
	}
	b.report("b", 2, 2)
	if b.bar != nil {
		t.Error("a finished stage left its bar open")
	}
	b.report("c", 0, 5)
	b.exit()
	if b.bar != nil {
		t.Error("exit left the bar open")
	}
}
