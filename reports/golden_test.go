package reports

import (
	"bytes"
	"encoding/json"
	"flag"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// normaliseJSON strips what changes from run to run (the creation time and
// the wall-clock timings) and indents the rest for readable diffs.
func normaliseJSON(t *testing.T, b []byte) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("report JSON does not parse: %v", err)
	}
	delete(m, "created")
	delete(m, "timings")
	var buf bytes.Buffer
	writeIndented(&buf, m, "")
	buf.WriteByte('\n')
	return buf.Bytes()
}

// writeIndented writes v as indented JSON with object keys sorted and
// arrays of scalars on one line.
func writeIndented(buf *bytes.Buffer, v any, indent string) {
	switch v := v.(type) {
	case map[string]any:
		if len(v) == 0 {
			buf.WriteString("{}")
			return
		}
		buf.WriteString("{\n")
		keys := slices.Sorted(maps.Keys(v))
		for i, k := range keys {
			kb, _ := json.Marshal(k)
			buf.WriteString(indent + " " + string(kb) + ": ")
			writeIndented(buf, v[k], indent+" ")
			if i < len(keys)-1 {
				buf.WriteByte(',')
			}
			buf.WriteByte('\n')
		}
		buf.WriteString(indent + "}")
	case []any:
		flat := true
		for _, e := range v {
			switch e.(type) {
			case map[string]any, []any:
				flat = false
			}
		}
		if flat {
			b, _ := json.Marshal(v)
			buf.Write(b)
			return
		}
		buf.WriteString("[\n")
		for i, e := range v {
			buf.WriteString(indent + " ")
			writeIndented(buf, e, indent+" ")
			if i < len(v)-1 {
				buf.WriteByte(',')
			}
			buf.WriteByte('\n')
		}
		buf.WriteString(indent + "]")
	default:
		b, _ := json.Marshal(v)
		buf.Write(b)
	}
}

// checkGolden compares got with testdata/name, or rewrites it with -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		os.WriteFile(path+".got", got, 0o644)
		t.Errorf("%s differs from the golden file; wrote %s.got (go test -update accepts it)", path, path)
	}
}

func TestJSONGolden(t *testing.T) {
	// A small fixed subset: 40 points, 6×6 bins, 2 PCs.
	r := fakeReport(40, 6, 2, 3)
	// Keep 4 of the 50 fc1_relu units to keep the file small.
	r.Layers[0].Activations = r.Layers[0].Activations[:4]
	for i := range r.Results {
		if r.Results[i].Layer == "fc1_relu" {
			r.Results[i].Units = slices.DeleteFunc(r.Results[i].Units, func(u Unit) bool { return u.Kind == "unit" && u.Index >= 4 })
		}
	}
	r.Finish()
	var buf bytes.Buffer
	if err := WriteJSON(&buf, r); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "fake_report.json", normaliseJSON(t, buf.Bytes()))

	// The JSON reads back into the same report.
	back, err := ReadJSON(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	var again bytes.Buffer
	if err := WriteJSON(&again, back); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), again.Bytes()) {
		t.Error("JSON → ReadJSON → JSON does not round-trip")
	}
}
