package command

import (
	"bytes"
	"context"
	"testing"
)

// runApp runs the CLI in-process and returns what it wrote to stdout and
// stderr.
func runApp(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	app := App()
	var out, errOut bytes.Buffer
	app.Writer, app.ErrWriter = &out, &errOut
	err = Run(context.Background(), app, append([]string{"conceptcells"}, args...))
	return out.String(), errOut.String(), err
}

// runAppOutput is runApp with stdout and stderr joined, for error messages.
func runAppOutput(t *testing.T, args ...string) (string, error) {
	t.Helper()
	out, errOut, err := runApp(t, args...)
	return out + errOut, err
}
