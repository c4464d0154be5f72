// Command conceptcells looks inside trained neural networks for place, grid
// and concept cells. See README.md.
package main

import (
	"context"
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
	err := command.Run(ctx, command.App(), os.Args)
	interrupted := ctx.Err() != nil
	stop()
	if err != nil {
		// Errors quote model and file names: print them inert.
		fmt.Fprintf(os.Stderr, "conceptcells: %s\n", termsafe.Escape(err.Error()))
		code := command.ExitCode(err)
		if interrupted {
			code = 130 // the shell's code for SIGINT
		}
		os.Exit(code)
	}
}
