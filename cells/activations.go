package cells

import "fmt"

// Activations gives the activations of U units at the K points of a Frame.
type Activations interface {
	// Dims returns the number of points K and of units U.
	Dims() (k, units int)
	// Unit writes the K activations of unit u into dst (length K).
	Unit(u int, dst []float64)
}

// RowMajor32 is a K×U row-major float32 matrix (one row per point), the
// layout of probe.Collect.
type RowMajor32 struct {
	Data []float32
	K, U int
}

// Dims implements Activations.
func (m RowMajor32) Dims() (int, int) { return m.K, m.U }

// Unit implements Activations.
func (m RowMajor32) Unit(u int, dst []float64) {
	for k := 0; k < m.K; k++ {
		dst[k] = float64(m.Data[k*m.U+u])
	}
}

// RowMajor64 is a K×U row-major float64 matrix (one row per point), the
// layout of an activations .npy file.
type RowMajor64 struct {
	Data []float64
	K, U int
}

// Dims implements Activations.
func (m RowMajor64) Dims() (int, int) { return m.K, m.U }

// Unit implements Activations.
func (m RowMajor64) Unit(u int, dst []float64) {
	for k := 0; k < m.K; k++ {
		dst[k] = m.Data[k*m.U+u]
	}
}

// Columns holds one slice of K activations per unit.
type Columns [][]float64

// Dims implements Activations.
func (c Columns) Dims() (int, int) {
	if len(c) == 0 {
		return 0, 0
	}
	return len(c[0]), len(c)
}

// Unit implements Activations.
func (c Columns) Unit(u int, dst []float64) { copy(dst, c[u]) }

func checkActivations(a Activations) error {
	k, u := a.Dims()
	switch m := a.(type) {
	case RowMajor32:
		if len(m.Data) != k*u || k < 0 || u < 0 {
			return fmt.Errorf("cells: activation matrix has %d values, want K×U = %d×%d", len(m.Data), k, u)
		}
	case RowMajor64:
		if len(m.Data) != k*u || k < 0 || u < 0 {
			return fmt.Errorf("cells: activation matrix has %d values, want K×U = %d×%d", len(m.Data), k, u)
		}
	case Columns:
		for i, col := range m {
			if len(col) != k {
				return fmt.Errorf("cells: unit %d has %d activations, unit 0 has %d", i, len(col), k)
			}
		}
	}
	return nil
}
