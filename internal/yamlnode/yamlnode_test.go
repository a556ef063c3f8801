package yamlnode

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParse(t *testing.T) {
	root, err := Parse([]byte("a: &x [1]\nb: *x\nc: ~\nd: text\n"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for i := 1; i < len(root.Content); i += 2 {
		got = append(got, Describe(Deref(root.Content[i])))
	}
	if diff := cmp.Diff([]string{"a list", "a list", "nothing", `"text"`}, got); diff != "" {
		t.Errorf("Describe (-want +got):\n%s", diff)
	}
	if root, err := Parse(nil); root != nil || err != nil {
		t.Errorf("Parse(empty) = %v, %v; want nil, nil", root, err)
	}
	_, err = Parse([]byte("a: 1\nb: [\n"))
	var se *SyntaxError
	if !errors.As(err, &se) {
		t.Fatalf("Parse(bad) error = %v, want a *SyntaxError", err)
	}
	if diff := cmp.Diff(&SyntaxError{Line: 2, Msg: "did not find expected node content"}, se); diff != "" {
		t.Errorf("SyntaxError (-want +got):\n%s", diff)
	}
	if root, err := Parse([]byte("---\na: 1\n---\n# nothing\n")); err != nil || root == nil {
		t.Errorf("Parse(one document between markers) = %v, %v; want the mapping", root, err)
	}
	_, err = Parse([]byte("a: 1\n---\nb: 2\n"))
	if !errors.As(err, &se) || se.Line != 3 || se.Col != 1 || se.Hint == "" {
		t.Errorf("Parse(two documents) error = %#v, want a *SyntaxError at 3:1 with a hint", err)
	}
}
