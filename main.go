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
)

func main() {
	// Ctrl-C or SIGTERM cancels the run; commands stop between batches and
	// leave no half-written output.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := command.Run(ctx, command.App(), os.Args)
	interrupted := ctx.Err() != nil
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "conceptcells: %v\n", err)
		code := command.ExitCode(err)
		if interrupted {
			code = 130 // the shell's code for SIGINT
		}
		os.Exit(code)
	}
}
