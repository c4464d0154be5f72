// Command conceptcells looks inside trained neural networks for place, grid
// and concept cells. See README.md.
package main

import (
	"fmt"
	"os"

	"github.com/conceptcells/conceptcells/internal/command"
)

func main() {
	if err := command.App().Run(os.Args); err != nil {
		fmt.Fprintf(os.Stderr, "conceptcells: %v\n", err)
		os.Exit(1)
	}
}
