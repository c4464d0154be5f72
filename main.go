// Command conceptcells looks inside trained neural networks for place, grid
// and concept cells. See README.md.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/conceptcells/conceptcells/internal/command"
	"github.com/conceptcells/conceptcells/internal/termsafe"
)

func main() {
	// Ctrl-C or SIGTERM cancels the run; commands stop between batches and
	// leave no half-written output.
	// A second signal gets the default behaviour and ends the process at
	// once, should a stage fail to stop.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	context.AfterFunc(ctx, stop)
	err := command.App().RunContext(ctx, os.Args)
	stop()
	if err != nil {
		// Errors quote model and file names: print them inert.
		fmt.Fprintf(os.Stderr, "conceptcells: %s\n", termsafe.Escape(err.Error()))
		if ctx.Err() != nil && errors.Is(err, context.Canceled) {
			os.Exit(130) // the shell's code for "ended by SIGINT"
		}
		os.Exit(1)
	}
}
