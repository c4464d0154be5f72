package onnxio

import "testing"

func TestShapeText(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []int64
	}{
		{"1,1,28,28", []int64{1, 1, 28, 28}}, {"[N, 3, 224, 224]", []int64{-1, 3, 224, 224}},
		{"-1×10", []int64{-1, 10}}, {"", []int64{}},
	} {
		got, err := ParseShape(c.in)
		if err != nil || !equalSlices(got, c.want) {
			t.Errorf("ParseShape(%q) = %v, %v", c.in, got, err)
		}
	}
	for _, bad := range []string{"1,a", "1,-2", "1x28"} {
		if _, err := ParseShape(bad); err == nil {
			t.Errorf("ParseShape(%q) accepted", bad)
		}
	}
	if s := FormatShape([]int64{-1, 10, -1}); s != "[N,10,?]" {
		t.Errorf("FormatShape = %s", s)
	}
	if s := FormatShape(nil); s != "?" {
		t.Errorf("FormatShape(nil) = %s", s)
	}
}
