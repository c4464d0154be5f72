package probe

// pipeline wires Run to the executor (Collect), the t-SNE (probe/embed)
// and the cell scorer (probe/cells).
var pipeline = stages{}
