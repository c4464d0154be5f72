//go:build unix

package dataset

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// within fails t if f does not return within d (a blocked read of a FIFO
// would hang the test otherwise).
func within(t *testing.T, d time.Duration, what string, f func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-time.After(d):
		t.Fatalf("%s blocked for %v", what, d)
		return nil
	}
}

func TestFIFOInputsRefused(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "x.npy")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip("no FIFOs:", err)
	}
	link := filepath.Join(dir, "zero.npy")
	if err := os.Symlink("/dev/zero", link); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{fifo, link} {
		err := within(t, 5*time.Second, p, func() error { _, err := Open(p, Options{}); return err })
		if err == nil {
			t.Errorf("Open(%s) succeeded", p)
		}
		err = within(t, 5*time.Second, p, func() error { _, err := ReadNpy(p); return err })
		if err == nil {
			t.Errorf("ReadNpy(%s) succeeded", p)
		}
	}
	// A FIFO and a /dev/zero link in a data folder.
	mdir := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(mdir, "t10k-images-idx3-ubyte.gz"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/dev/zero", filepath.Join(mdir, "t10k-labels-idx1-ubyte")); err != nil {
		t.Fatal(err)
	}
	err := within(t, 5*time.Second, "MNIST from a FIFO", func() error { _, err := MNISTNormalized("test", mdir, nil); return err })
	if err == nil {
		t.Error("MNIST from a FIFO succeeded")
	}
	err = within(t, 5*time.Second, "Fashion-MNIST from a FIFO", func() error { _, err := FashionMNIST("test", mdir, nil); return err })
	if err == nil {
		t.Error("Fashion-MNIST from a FIFO succeeded")
	}
}
