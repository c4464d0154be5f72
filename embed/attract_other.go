//go:build !amd64 || purego

package embed

// attractAsm is false without the assembly (other architectures, or the
// purego build tag).
const attractAsm = false

func attractRows(p *sparseP, y []float64, exag float64, grad []float64, lo, hi int) {
	attractRowsGo(p, y, exag, grad, lo, hi)
}
