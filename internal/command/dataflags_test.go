package command

import (
	"strings"
	"testing"

	"github.com/urfave/cli/v2"

	"github.com/conceptcells/conceptcells/dataset"
)

// runData parses args with the dataset flags and opens the data.
func runData(t *testing.T, args ...string) (*dataset.Set, error) {
	t.Helper()
	var set *dataset.Set
	var openErr error
	app := &cli.App{
		Flags: dataFlags(),
		Action: func(c *cli.Context) error {
			set, openErr = openData(c, 1, 28, 28, 5, true)
			return nil
		},
	}
	if err := app.Run(append([]string{"x"}, args...)); err != nil {
		t.Fatal(err)
	}
	return set, openErr
}

func TestDataFlags(t *testing.T) {
	t.Setenv(dataset.EnvData, "")
	s, err := runData(t)
	if err != nil || s.N != 5 || s.Labels[0] != 7 || s.Norm == nil || s.Norm.String() != "0.1307/0.3081" {
		t.Fatalf("default --data: %v %+v", err, s)
	}
	s, err = runData(t, "--data", "mnist-test", "--norm", "none")
	if err != nil || s.Norm != nil || s.X[0] != 0 {
		t.Errorf("--norm none: %v", err)
	}
	if _, err := runData(t, "--norm", "1/0"); err == nil || !strings.Contains(err.Error(), "--norm") {
		t.Errorf("--norm 1/0: %v", err)
	}
	if _, err := runData(t, "--data", "nope"); err == nil || !strings.Contains(err.Error(), "--data nope") {
		t.Errorf("--data nope: %v", err)
	}
}
