// Package version holds the tool's version string, recorded in every output.
package version

// Version is the conceptcells release. Reports, manifests and exported models
// record it.
const Version = "0.1.0-dev"
