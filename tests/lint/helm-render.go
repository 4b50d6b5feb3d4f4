// helm-render: renders a Helm chart the way `helm template` does, for
// machines without helm: Go's text/template with the sprig functions (the
// engine and library helm itself uses) plus helm's own include, tpl,
// required, fail, toYaml, fromYaml and toJson.  It reads Chart.yaml and
// values.yaml, merges the -f files over the values, and prints every
// template not starting with "_" as "# Source:" documents.  Not covered:
// .Capabilities, lookup, .Files, subcharts and --set.
//
// usage: helm-render [-n NAME] [-namespace NS] [-f VALUES]... CHART_DIR
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig/v3"
	"gopkg.in/yaml.v3"
)

type files []string

func (f *files) String() string     { return strings.Join(*f, ",") }
func (f *files) Set(s string) error { *f = append(*f, s); return nil }

func readYAML(path string) (map[string]interface{}, error) {
	m := map[string]interface{}{}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if err := yaml.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return m, nil
}

// merge lays src over dst, map by map, as helm merges values files.
func merge(dst, src map[string]interface{}) map[string]interface{} {
	for k, v := range src {
		if sm, ok := v.(map[string]interface{}); ok {
			if dm, ok := dst[k].(map[string]interface{}); ok {
				dst[k] = merge(dm, sm)
				continue
			}
		}
		dst[k] = v
	}
	return dst
}

func toYaml(v interface{}) string {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(v); err != nil {
		return ""
	}
	return strings.TrimSuffix(buf.String(), "\n")
}

func main() {
	var values files
	name := flag.String("n", "release", "release name")
	ns := flag.String("namespace", "default", "release namespace")
	flag.Var(&values, "f", "values file, may be repeated")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: helm-render [-n NAME] [-namespace NS] [-f VALUES]... CHART_DIR")
		os.Exit(2)
	}
	dir := flag.Arg(0)
	chart, err := readYAML(filepath.Join(dir, "Chart.yaml"))
	if err != nil {
		fail(err)
	}
	vals, err := readYAML(filepath.Join(dir, "values.yaml"))
	if err != nil {
		fail(err)
	}
	for _, f := range values {
		m, err := readYAML(f)
		if err != nil {
			fail(err)
		}
		vals = merge(vals, m)
	}
	top := map[string]interface{}{
		"Values": vals,
		"Chart": map[string]interface{}{
			"Name": chart["name"], "Version": chart["version"],
			"AppVersion": chart["appVersion"],
		},
		"Release": map[string]interface{}{
			"Name": *name, "Namespace": *ns, "Service": "Helm",
			"IsInstall": true, "IsUpgrade": false, "Revision": 1,
		},
	}
	t := template.New("chart").Option("missingkey=zero")
	funcs := sprig.TxtFuncMap()
	delete(funcs, "env")
	delete(funcs, "expandenv")
	funcs["include"] = func(n string, data interface{}) (string, error) {
		var buf bytes.Buffer
		err := t.ExecuteTemplate(&buf, n, data)
		return buf.String(), err
	}
	funcs["tpl"] = func(s string, data interface{}) (string, error) {
		c, err := t.Clone()
		if err != nil {
			return "", err
		}
		if c, err = c.New("tpl").Parse(s); err != nil {
			return "", err
		}
		var buf bytes.Buffer
		err = c.Execute(&buf, data)
		return buf.String(), err
	}
	funcs["required"] = func(msg string, v interface{}) (interface{}, error) {
		if v == nil || v == "" {
			return nil, fmt.Errorf("%s", msg)
		}
		return v, nil
	}
	funcs["fail"] = func(msg string) (string, error) {
		return "", fmt.Errorf("%s", msg)
	}
	funcs["toYaml"] = toYaml
	funcs["fromYaml"] = func(s string) map[string]interface{} {
		m := map[string]interface{}{}
		if err := yaml.Unmarshal([]byte(s), &m); err != nil {
			m["Error"] = err.Error()
		}
		return m
	}
	funcs["toJson"] = func(v interface{}) string {
		b, err := json.Marshal(v)
		if err != nil {
			return ""
		}
		return string(b)
	}
	t.Funcs(funcs)
	paths, _ := filepath.Glob(filepath.Join(dir, "templates", "*"))
	sort.Strings(paths)
	var render []string
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			fail(err)
		}
		rel := filepath.Join(filepath.Base(dir), "templates", filepath.Base(p))
		if _, err := t.New(rel).Parse(string(b)); err != nil {
			fail(err)
		}
		base := filepath.Base(p)
		if !strings.HasPrefix(base, "_") && (strings.HasSuffix(base, ".yaml") || strings.HasSuffix(base, ".yml")) {
			render = append(render, rel)
		}
	}
	for _, rel := range render {
		var buf bytes.Buffer
		if err := t.ExecuteTemplate(&buf, rel, top); err != nil {
			fail(err)
		}
		out := strings.ReplaceAll(buf.String(), "<no value>", "")
		if strings.TrimSpace(out) == "" {
			continue
		}
		fmt.Printf("---\n# Source: %s\n%s\n", rel, strings.TrimSpace(out))
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "helm-render:", err)
	os.Exit(1)
}
