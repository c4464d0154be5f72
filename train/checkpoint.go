package train

import (
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/conceptcells/conceptcells/internal/fsutil"
)

const (
	checkpointVersion = 1
	checkpointFile    = "checkpoint.gob"
	// markerFile is written in a checkpoint folder that train created, and
	// only such a folder is ever removed.
	markerFile = ".conceptcells-checkpoint"
)

// state is everything a checkpoint holds: after Epoch finished epochs, the
// weights, Adam's step count and moments, the RNG state (which next shuffles
// and draws dropout masks) and the history so far.
type state struct {
	Version int
	Seed    uint64
	Batch   int
	LR      float64
	Epoch   int
	Params  *Params
	Adam    *Adam
	RNG     []byte
	History []EpochStats
}

// CheckpointPath returns the checkpoint file inside dir.
func CheckpointPath(dir string) string { return filepath.Join(dir, checkpointFile) }

// saveCheckpoint writes st to dir atomically (a temporary file renamed into
// place), so a kill leaves either the previous or the new checkpoint.
func saveCheckpoint(dir string, st *state) error {
	if err := os.Mkdir(dir, 0o755); err == nil {
		if err := os.WriteFile(filepath.Join(dir, markerFile), []byte("created by conceptcells train; removed with this folder after a successful run\n"), 0o644); err != nil {
			return fmt.Errorf("train: checkpoint directory: %w", err)
		}
	} else if !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("train: checkpoint directory: %w", err)
	}
	return fsutil.WriteFile(CheckpointPath(dir), true, func(w io.Writer) error {
		return gob.NewEncoder(w).Encode(st)
	})
}

type notExistError struct{ error }

func (e notExistError) Unwrap() error { return e.error }

func isNotExist(err error) bool {
	var ne notExistError
	return errors.As(err, &ne)
}

// MaxCheckpointBytes bounds how much of a checkpoint file is read.
const MaxCheckpointBytes = 16 << 20

// loadCheckpoint reads and validates the checkpoint in dir.
func loadCheckpoint(dir string) (*state, error) {
	path := CheckpointPath(dir)
	f, _, err := fsutil.OpenRegular(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, notExistError{fmt.Errorf("train: no checkpoint at %s", path)}
	}
	if err != nil {
		return nil, fmt.Errorf("train: reading checkpoint: %w", err)
	}
	defer f.Close()
	var st state
	// The checkpoint of the paper's CNN is about 300 KB; a larger file is
	// not one of ours, and gob would allocate whatever it declares.
	if err := gob.NewDecoder(io.LimitReader(f, MaxCheckpointBytes)).Decode(&st); err != nil {
		return nil, fmt.Errorf("train: checkpoint %s is corrupt: %w", path, err)
	}
	if st.Version != checkpointVersion {
		return nil, fmt.Errorf("train: checkpoint %s has version %d, want %d", path, st.Version, checkpointVersion)
	}
	if st.Params == nil || st.Adam == nil {
		return nil, fmt.Errorf("train: checkpoint %s lacks weights or optimiser state", path)
	}
	if err := st.Params.check(); err != nil {
		return nil, fmt.Errorf("train: checkpoint %s: %w", path, err)
	}
	ps := st.Params.List()
	if len(st.Adam.M) != len(ps) || len(st.Adam.V) != len(ps) {
		return nil, fmt.Errorf("train: checkpoint %s: Adam moments for %d/%d tensors, want %d", path, len(st.Adam.M), len(st.Adam.V), len(ps))
	}
	for i, p := range ps {
		if len(st.Adam.M[i]) != len(p.Data) || len(st.Adam.V[i]) != len(p.Data) {
			return nil, fmt.Errorf("train: checkpoint %s: Adam moments of %s have the wrong size", path, p.Name)
		}
	}
	if st.Epoch < 0 || len(st.History) != st.Epoch {
		return nil, fmt.Errorf("train: checkpoint %s: epoch %d with %d history entries", path, st.Epoch, len(st.History))
	}
	return &st, nil
}

// LoadCheckpointParams returns the weights and history stored in the
// checkpoint in dir.
func LoadCheckpointParams(dir string) (*Params, []EpochStats, error) {
	st, err := loadCheckpoint(dir)
	if err != nil {
		return nil, nil, err
	}
	return st.Params, st.History, nil
}

// CheckCheckpointDir refuses, before any training, a checkpoint folder dir
// that train may not use: something that is not a folder, or an existing
// folder that train did not create (no marker) and that holds no
// checkpoint. A missing dir is fine: train creates it, with the marker.
func CheckCheckpointDir(dir string) error {
	st, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("train: checkpoint folder: %w", err)
	}
	if !st.IsDir() {
		return fmt.Errorf("train: checkpoint folder %s exists and is not a folder", dir)
	}
	if _, err := os.Stat(filepath.Join(dir, markerFile)); err == nil {
		return nil
	}
	if _, err := os.Stat(CheckpointPath(dir)); err == nil {
		return nil
	}
	return fmt.Errorf("train: %s exists and was not created by conceptcells train; move it away or pass --checkpoint with another folder", dir)
}

// RemoveCheckpoint deletes the checkpoint in dir after a successful run:
// the checkpoint file, and the folder itself only when train created it
// (its marker is there) and nothing else is left in it. Nothing else is
// ever deleted.
func RemoveCheckpoint(dir string) error {
	if err := os.Remove(CheckpointPath(dir)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	marker := filepath.Join(dir, markerFile)
	if _, err := os.Stat(marker); err != nil {
		return nil
	}
	if err := os.Remove(marker); err != nil {
		return err
	}
	// Fails, keeping the folder, when something else was put in it.
	os.Remove(dir)
	return nil
}
