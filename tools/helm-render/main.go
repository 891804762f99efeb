// helm-render renders a Helm 3 chart the way `helm template` does, so that CI can check the chart
// on Debian, which does not package Helm. It covers what helm/vigia uses and nothing more: values
// merging and schema validation, Go templates with the sprig functions, and the Helm built-ins
// include, tpl, toYaml, fromYaml, toJson, required, fail, .Files.Get, .Release, .Chart, .Template.
//
//	helm-render [-f values.yaml]... [--set a.b=c]... [--namespace NS] [--notes] RELEASE CHART_DIR
//
// Exit status: 0 on success, 1 when the values break the schema or a template fails, 2 on misuse.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig"
	"github.com/xeipuuv/gojsonschema"
	"gopkg.in/yaml.v3"
)

type repeated []string

func (r *repeated) String() string     { return strings.Join(*r, ",") }
func (r *repeated) Set(v string) error { *r = append(*r, v); return nil }

func main() {
	var valueFiles, sets repeated
	flags := flag.NewFlagSet("helm-render", flag.ContinueOnError)
	flags.Var(&valueFiles, "f", "a values file; repeatable, later files win")
	flags.Var(&valueFiles, "values", "same as -f")
	flags.Var(&sets, "set", "one value, path.to.key=value; repeatable, applied after the files")
	namespace := flags.String("namespace", "default", "the release namespace")
	notes := flags.Bool("notes", false, "print the rendered templates/NOTES.txt instead of the manifests")

	// Like helm, flags may come after the positional arguments.
	var positional []string
	args := os.Args[1:]
	for {
		if err := flags.Parse(args); err != nil {
			os.Exit(2)
		}
		args = flags.Args()
		if len(args) == 0 {
			break
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
	if len(positional) != 2 {
		fmt.Fprintln(os.Stderr, "usage: helm-render [flags] RELEASE CHART_DIR")
		os.Exit(2)
	}

	out, err := render(positional[1], positional[0], *namespace, valueFiles, sets, *notes)
	if err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		os.Exit(1)
	}
	fmt.Print(out)
}

func render(chartDir, release, namespace string, valueFiles, sets []string, notes bool) (string, error) {
	chartMeta, err := readYAMLMap(filepath.Join(chartDir, "Chart.yaml"), true)
	if err != nil {
		return "", err
	}
	if chartMeta["apiVersion"] != "v2" {
		return "", errors.New("Chart.yaml: apiVersion must be v2 (Helm 3)")
	}
	chartName, _ := chartMeta["name"].(string)
	if chartName == "" {
		return "", errors.New("Chart.yaml: name is missing")
	}

	values, err := readYAMLMap(filepath.Join(chartDir, "values.yaml"), false)
	if err != nil {
		return "", err
	}
	for _, f := range valueFiles {
		user, err := readYAMLMap(f, true)
		if err != nil {
			return "", err
		}
		values = coalesce(values, user)
	}
	for _, s := range sets {
		if err := applySet(values, s); err != nil {
			return "", err
		}
	}
	if err := validate(chartDir, chartName, values); err != nil {
		return "", err
	}

	top := map[string]interface{}{
		"Values":  values,
		"Chart":   chartObject(chartMeta),
		"Release": map[string]interface{}{"Name": release, "Namespace": namespace, "Service": "Helm", "IsInstall": true, "IsUpgrade": false, "Revision": 1},
		"Files":   chartFiles{root: chartDir},
		"Capabilities": map[string]interface{}{
			"KubeVersion": map[string]interface{}{"Version": "v1.28.0", "Major": "1", "Minor": "28"},
		},
	}
	return renderTemplates(chartDir, chartName, top, notes)
}

// readYAMLMap reads a YAML mapping; an absent optional file is an empty one.
func readYAMLMap(file string, mustExist bool) (map[string]interface{}, error) {
	data, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) && !mustExist {
		return map[string]interface{}{}, nil
	}
	if err != nil {
		return nil, err
	}
	m := map[string]interface{}{}
	if err := yaml.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return m, nil
}

// coalesce lays src over dst as Helm does: maps merge key by key at every depth, anything else
// (lists included) is replaced whole, and a null in src removes the key.
func coalesce(dst, src map[string]interface{}) map[string]interface{} {
	for k, sv := range src {
		if sv == nil {
			delete(dst, k)
			continue
		}
		dm, dIsMap := dst[k].(map[string]interface{})
		sm, sIsMap := sv.(map[string]interface{})
		if dIsMap && sIsMap {
			dst[k] = coalesce(dm, sm)
		} else {
			dst[k] = sv
		}
	}
	return dst
}

var integer = regexp.MustCompile(`^-?[0-9]+$`)

// applySet handles one `a.b.c=value`; lists and escaped dots are not supported.
func applySet(values map[string]interface{}, assignment string) error {
	key, raw, ok := strings.Cut(assignment, "=")
	if !ok || key == "" {
		return fmt.Errorf("--set %q: expected path.to.key=value", assignment)
	}
	var value interface{} = raw
	switch {
	case raw == "true" || raw == "false":
		value = raw == "true"
	case raw == "null":
		value = nil
	case integer.MatchString(raw):
		n, err := strconv.ParseInt(raw, 10, 64)
		if err == nil {
			value = n
		}
	}
	parts := strings.Split(key, ".")
	m := values
	for _, p := range parts[:len(parts)-1] {
		next, isMap := m[p].(map[string]interface{})
		if !isMap {
			next = map[string]interface{}{}
			m[p] = next
		}
		m = next
	}
	last := parts[len(parts)-1]
	if value == nil {
		delete(m, last)
	} else {
		m[last] = value
	}
	return nil
}

// validate checks the merged values against values.schema.json, when the chart has one, and
// reports every violation with the field it concerns.
func validate(chartDir, chartName string, values map[string]interface{}) error {
	schema, err := os.ReadFile(filepath.Join(chartDir, "values.schema.json"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	result, err := gojsonschema.Validate(gojsonschema.NewBytesLoader(schema), gojsonschema.NewGoLoader(values))
	if err != nil {
		return fmt.Errorf("values.schema.json: %w", err)
	}
	if result.Valid() {
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "the values do not match %s/values.schema.json:", chartName)
	for _, e := range result.Errors() {
		fmt.Fprintf(&b, "\n- %s: %s", e.Field(), e.Description())
	}
	return errors.New(b.String())
}

// chartObject exposes Chart.yaml under the field names templates use (.Chart.AppVersion).
func chartObject(meta map[string]interface{}) map[string]interface{} {
	c := map[string]interface{}{}
	for k, v := range meta {
		if k == "apiVersion" {
			c["APIVersion"] = v
			continue
		}
		c[strings.ToUpper(k[:1])+k[1:]] = v
	}
	return c
}

// chartFiles is .Files: the chart's own files, by path from the chart's root.
type chartFiles struct{ root string }

// Get returns a file's text, or "" when it does not exist (as in Helm, so a template can test it).
func (f chartFiles) Get(name string) string {
	clean := path.Clean("/" + name)
	data, err := os.ReadFile(filepath.Join(f.root, filepath.FromSlash(clean)))
	if err != nil {
		return ""
	}
	return string(data)
}

func toYAML(v interface{}) string {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(v); err != nil {
		return ""
	}
	return strings.TrimSuffix(buf.String(), "\n")
}

// fromYAML keeps Helm's contract: a parse error comes back as the "Error" key, not as a failure.
func fromYAML(s string) map[string]interface{} {
	m := map[string]interface{}{}
	if err := yaml.Unmarshal([]byte(s), &m); err != nil {
		m["Error"] = err.Error()
	}
	return m
}

func renderTemplates(chartDir, chartName string, top map[string]interface{}, notes bool) (string, error) {
	var names []string
	templatesDir := filepath.Join(chartDir, "templates")
	err := filepath.WalkDir(templatesDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(templatesDir, p)
		names = append(names, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		return "", err
	}
	sort.Strings(names)

	var t *template.Template
	funcs := sprig.TxtFuncMap()
	// Helm withholds these so a chart renders the same on every machine.
	delete(funcs, "env")
	delete(funcs, "expandenv")
	funcs["toYaml"] = toYAML
	funcs["fromYaml"] = fromYAML
	funcs["required"] = func(msg string, v interface{}) (interface{}, error) {
		if v == nil || v == "" {
			return nil, errors.New(msg)
		}
		return v, nil
	}
	funcs["fail"] = func(msg string) (string, error) { return "", errors.New(msg) }
	funcs["include"] = func(name string, data interface{}) (string, error) {
		var buf bytes.Buffer
		err := t.ExecuteTemplate(&buf, name, data)
		return buf.String(), err
	}
	funcs["tpl"] = func(text string, data interface{}) (string, error) {
		clone, err := t.Clone()
		if err != nil {
			return "", err
		}
		one, err := clone.New("tpl").Parse(text)
		if err != nil {
			return "", err
		}
		var buf bytes.Buffer
		err = one.Execute(&buf, data)
		return strings.ReplaceAll(buf.String(), "<no value>", ""), err
	}

	t = template.New(chartName).Funcs(funcs)
	for _, n := range names {
		text, err := os.ReadFile(filepath.Join(templatesDir, filepath.FromSlash(n)))
		if err != nil {
			return "", err
		}
		if _, err := t.New(chartName + "/templates/" + n).Parse(string(text)); err != nil {
			return "", err
		}
	}

	var out strings.Builder
	for _, n := range names {
		isNotes := n == "NOTES.txt"
		if isNotes != notes || strings.HasPrefix(path.Base(n), "_") {
			continue
		}
		name := chartName + "/templates/" + n
		// Each template sees which file it is, as in Helm.
		data := map[string]interface{}{}
		for k, v := range top {
			data[k] = v
		}
		data["Template"] = map[string]interface{}{"Name": name, "BasePath": chartName + "/templates"}
		var buf bytes.Buffer
		if err := t.ExecuteTemplate(&buf, name, data); err != nil {
			return "", err
		}
		text := strings.ReplaceAll(buf.String(), "<no value>", "")
		if isNotes {
			out.WriteString(text)
			continue
		}
		for _, doc := range splitDocuments(text) {
			if blank(doc) {
				continue
			}
			// Helm reads every manifest's kind to order the install: a template that renders
			// invalid YAML fails here rather than at the API server.
			var head struct {
				Kind string `yaml:"kind"`
			}
			if err := yaml.Unmarshal([]byte(doc), &head); err != nil {
				return "", fmt.Errorf("%s: rendered YAML does not parse: %w", name, err)
			}
			if head.Kind == "" {
				return "", fmt.Errorf("%s: a rendered document has no kind", name)
			}
			fmt.Fprintf(&out, "---\n# Source: %s\n%s\n", name, strings.TrimSpace(doc))
		}
	}
	return out.String(), nil
}

var separator = regexp.MustCompile(`(?m)^---[ \t]*$`)

func splitDocuments(text string) []string { return separator.Split(text, -1) }

// blank is true for a document of only whitespace and comments: a template switched off.
func blank(doc string) bool {
	for _, line := range strings.Split(doc, "\n") {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "#") {
			return false
		}
	}
	return true
}
