package runctx

import (
	"reflect"
	"runtime"
	"strings"
	"sync"
)

// declarations are the pipelines' tag → search attribute mappings, by
// workflow type name.
var declarations struct {
	sync.RWMutex
	byType map[string][]TagAttribute
}

// Declare records that the pipeline workflow wf (a workflow function)
// publishes the parent tags of attrs as typed search attributes. Call it
// once, from an init function of the package that defines wf:
//
//	func init() { runctx.Declare(TrainingPipeline, runctx.Attribute[float64]("accuracy", "Accuracy")) }
//
// StartPipeline reads the declaration of the running workflow's type, and
// the plugin creates the attributes of every pipeline a worker registers
// (under its function name or the name given at registration).
func Declare(wf any, attrs ...TagAttribute) {
	name := functionName(wf)
	declarations.Lock()
	defer declarations.Unlock()
	if declarations.byType == nil {
		declarations.byType = map[string][]TagAttribute{}
	}
	declarations.byType[name] = append([]TagAttribute(nil), attrs...)
}

// declaredFor returns the attributes wf declares, and records them under
// the name wf is registered with too, when that differs.
func declaredFor(wf any, registeredAs string) []TagAttribute {
	name := functionName(wf)
	declarations.Lock()
	defer declarations.Unlock()
	attrs, ok := declarations.byType[name]
	if ok && registeredAs != "" && registeredAs != name {
		declarations.byType[registeredAs] = attrs
	}
	return attrs
}

// declared returns the attributes declared for a workflow type.
func declared(workflowType string) []TagAttribute {
	declarations.RLock()
	defer declarations.RUnlock()
	return declarations.byType[workflowType]
}

// functionName is the SDK's default workflow type name of a function: its
// name without the package path, and without "-fm" for a method value.
func functionName(fn any) string {
	if s, ok := fn.(string); ok {
		return s
	}
	v := reflect.ValueOf(fn)
	if v.Kind() != reflect.Func {
		return ""
	}
	name := runtime.FuncForPC(v.Pointer()).Name()
	name = name[strings.LastIndex(name, ".")+1:]
	return strings.TrimSuffix(name, "-fm")
}
