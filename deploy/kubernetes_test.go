package deploy_test

import (
	"errors"
	"fmt"
	"maps"
	"net"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	psaapi "k8s.io/pod-security-admission/api"
	psapolicy "k8s.io/pod-security-admission/policy"
	"sigs.k8s.io/json"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

// The stores: one bbolt file each, so one replica each, in a StatefulSet.
var stores = []string{"member-registry", "session-scheduling", "sales-reporting"}

// edges is the architecture's call graph (plus the backup job and the
// metrics scrape, checked apart): who may open a connection to whom. The
// NetworkPolicies must allow exactly these, and every address a process is
// configured with must be one of them.
var edges = []string{
	"alliance-backup -> member-registry",
	"alliance-backup -> sales-reporting",
	"alliance-backup -> session-scheduling",
	"gateway -> member-registry",
	"gateway -> sales-reporting",
	"gateway -> session-scheduling",
	"member-registry -> session-scheduling",
	"sales-reporting -> member-registry",
	"sales-reporting -> session-scheduling",
	"session-scheduling -> member-registry",
}

// externalSecrets are the Secrets prod expects to find in its namespace
// (deploy/README.md says how to make them); dev generates them.
var externalSecrets = []string{"alliance-auth"}

// overlays are what an operator applies; each is rendered and checked.
var overlays = map[string]struct {
	dir            string
	secretsOutside bool // prod: Secrets come from outside, none is rendered
}{
	"dev":  {dir: "kubernetes/overlays/dev"},
	"prod": {dir: "kubernetes/overlays/prod", secretsOutside: true},
}

// cluster is one rendered overlay, decoded into the API's own types.
type cluster struct {
	name           string
	secretsOutside bool
	namespaces     []*corev1.Namespace
	services       []*corev1.Service
	secrets        []*corev1.Secret
	configMaps     []*corev1.ConfigMap
	pvcs           []*corev1.PersistentVolumeClaim
	statefulSets   []*appsv1.StatefulSet
	deployments    []*appsv1.Deployment
	cronJobs       []*batchv1.CronJob
	jobs           []*batchv1.Job
	pdbs           []*policyv1.PodDisruptionBudget
	policies       []*networkingv1.NetworkPolicy
}

// workload is a pod template and what owns it.
type workload struct {
	kind, name string
	replicas   int32
	tpl        *corev1.PodTemplateSpec
	// claims are the PersistentVolumeClaim templates of a StatefulSet.
	claims []corev1.PersistentVolumeClaim
}

func (c *cluster) workloads() []workload {
	var ws []workload
	for _, s := range c.statefulSets {
		ws = append(ws, workload{"StatefulSet", s.Name, ptrOr(s.Spec.Replicas, 1), &s.Spec.Template, s.Spec.VolumeClaimTemplates})
	}
	for _, d := range c.deployments {
		ws = append(ws, workload{"Deployment", d.Name, ptrOr(d.Spec.Replicas, 1), &d.Spec.Template, nil})
	}
	for _, j := range c.cronJobs {
		ws = append(ws, workload{"CronJob", j.Name, 1, &j.Spec.JobTemplate.Spec.Template, nil})
	}
	for _, j := range c.jobs {
		ws = append(ws, workload{"Job", j.Name, 1, &j.Spec.Template, nil})
	}
	return ws
}

func ptrOr[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}

// render builds a kustomization with the kustomize Go API, as
// `kubectl apply -k` does, and decodes every object strictly.
func render(t *testing.T, dir string) *cluster {
	t.Helper()
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	m, err := k.Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		t.Fatalf("kustomize build %s: %v", dir, err)
	}
	c := &cluster{name: dir}
	for _, r := range m.Resources() {
		y, err := r.AsYAML()
		if err != nil {
			t.Fatal(err)
		}
		if err := c.add(y); err != nil {
			t.Errorf("%s: %s %s: %v", dir, r.GetKind(), r.GetName(), err)
		}
	}
	return c
}

// add decodes one object strictly, as the API server does with strict
// field validation: an unknown field, a field in the wrong case
// ("targetport": encoding/json alone would accept it), a duplicate key or
// a bad quantity fails.
func (c *cluster) add(y []byte) error {
	j, err := yaml.YAMLToJSONStrict(y)
	if err != nil {
		return err
	}
	var tm metav1.TypeMeta
	if err := json.UnmarshalCaseSensitivePreserveInts(j, &tm); err != nil {
		return err
	}
	into := func(p any) error {
		strict, err := json.UnmarshalStrict(j, p, json.DisallowDuplicateFields, json.DisallowUnknownFields)
		if err != nil {
			return err
		}
		return errors.Join(strict...)
	}
	switch tm.APIVersion + "/" + tm.Kind {
	case "v1/Namespace":
		return decodeInto(into, &c.namespaces)
	case "v1/Service":
		return decodeInto(into, &c.services)
	case "v1/Secret":
		return decodeInto(into, &c.secrets)
	case "v1/ConfigMap":
		return decodeInto(into, &c.configMaps)
	case "v1/PersistentVolumeClaim":
		return decodeInto(into, &c.pvcs)
	case "apps/v1/StatefulSet":
		return decodeInto(into, &c.statefulSets)
	case "apps/v1/Deployment":
		return decodeInto(into, &c.deployments)
	case "batch/v1/CronJob":
		return decodeInto(into, &c.cronJobs)
	case "batch/v1/Job":
		return decodeInto(into, &c.jobs)
	case "policy/v1/PodDisruptionBudget":
		return decodeInto(into, &c.pdbs)
	case "networking.k8s.io/v1/NetworkPolicy":
		return decodeInto(into, &c.policies)
	}
	return fmt.Errorf("no decoder for %s %s: add its k8s.io/api type to the test", tm.APIVersion, tm.Kind)
}

func decodeInto[T any](into func(any) error, list *[]*T) error {
	v := new(T)
	if err := into(v); err != nil {
		return err
	}
	*list = append(*list, v)
	return nil
}

// A check returns every way the cluster breaks its rule.
type check func(c *cluster) []error

var kubernetesChecks = map[string]check{
	"names are valid DNS labels":                            checkNames,
	"every container is hardened":                           checkHardening,
	"every pod passes the restricted Pod Security Standard": checkPodSecurity,
	"every container has requests and limits":               checkResources,
	"every image is the suite's, tagged":                    checkImages,
	"every store is one StatefulSet with a PVC":             checkStores,
	"every store has gRPC liveness and readiness probes":    checkGRPCProbes,
	"every Service targets a container port":                checkServicePorts,
	"every NetworkPolicy selects pods that exist":           checkPolicySelectors,
	"NetworkPolicies allow exactly the architecture":        checkPolicyEdges,
	"every configured address is an allowed edge":           checkConfiguredEdges,
	"the gateway has two replicas and a PDB":                checkGateway,
	"every process is scraped on its admin port":            checkScrape,
	"secrets are mounted files, from where they belong":     checkSecrets,
	"the backup CronJob writes alliance-admin to a claim":   checkBackup,
}

func TestKubernetesOverlays(t *testing.T) {
	for name, o := range overlays {
		t.Run(name, func(t *testing.T) {
			c := render(t, o.dir)
			c.secretsOutside = o.secretsOutside
			if len(c.workloads()) == 0 {
				t.Fatal("the overlay renders no workload")
			}
			for _, rule := range sortedKeys(kubernetesChecks) {
				t.Run(rule, func(t *testing.T) {
					for _, err := range kubernetesChecks[rule](c) {
						t.Error(err)
					}
				})
			}
		})
	}
}

// The restore Job is applied by hand, beside an overlay; it is hardened the
// same way and mounts the claims the StatefulSets make.
func TestKubernetesRestoreJob(t *testing.T) {
	r := render(t, "kubernetes/restore")
	if len(r.jobs) != 1 {
		t.Fatalf("restore renders %d Jobs, want 1", len(r.jobs))
	}
	job := r.jobs[0]
	for _, f := range []check{checkNames, checkHardening, checkPodSecurity, checkResources, checkImages} {
		for _, err := range f(r) {
			t.Error(err)
		}
	}
	prod := render(t, overlays["prod"].dir)
	if got, want := job.Spec.Template.Spec.Containers[0].Image, prod.statefulSets[0].Spec.Template.Spec.Containers[0].Image; got != want {
		t.Errorf("restore runs image %s, prod runs %s: a restore must use the suite's own version", got, want)
	}
	want := map[string]bool{"alliance-backups": true}
	for _, s := range prod.statefulSets {
		for _, vct := range s.Spec.VolumeClaimTemplates {
			want[vct.Name+"-"+s.Name+"-0"] = true
		}
	}
	got := map[string]bool{}
	for _, v := range job.Spec.Template.Spec.Volumes {
		if v.PersistentVolumeClaim != nil {
			got[v.PersistentVolumeClaim.ClaimName] = true
			if !want[v.PersistentVolumeClaim.ClaimName] {
				t.Errorf("restore mounts claim %s, which neither a StatefulSet nor the backup makes", v.PersistentVolumeClaim.ClaimName)
			}
		}
	}
	for claim := range want {
		if !got[claim] {
			t.Errorf("restore does not mount %s", claim)
		}
	}
	cmd := job.Spec.Template.Spec.Containers[0].Command
	if len(cmd) < 2 || cmd[0] != "alliance-admin" || cmd[1] != "restore" || !slices.Contains(cmd, "-data-dir") {
		t.Errorf("restore runs %q, want alliance-admin restore DIR -data-dir D", cmd)
	}
	for _, cm := range job.Spec.Template.Spec.Containers[0].EnvFrom {
		if cm.ConfigMapRef != nil && !slices.ContainsFunc(r.configMaps, func(m *corev1.ConfigMap) bool { return m.Name == cm.ConfigMapRef.Name }) {
			t.Errorf("restore reads ConfigMap %s, which is not rendered", cm.ConfigMapRef.Name)
		}
	}
}

// Strict decoding is what catches a misspelt field (which the API server
// may drop silently with a warning): prove it does.
func TestStrictDecodingRefusesUnknownFields(t *testing.T) {
	for _, y := range []string{
		"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec:\n  replica: 2\n",
		"apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec:\n  ports: [{port: 80, targetport: 8080}]\n",
		"apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec:\n  ports: [{port: 80, TargetPort: 8080}]\n",
		"apiVersion: v1\nkind: Service\nmetadata: {name: x, name: y}\n",
		"apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: x}\nspec: {resources: {requests: {storage: lots}}}\n",
		"apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: x}\n",
	} {
		if err := new(cluster).add([]byte(y)); err == nil {
			t.Errorf("decoded without error:\n%s", y)
		}
	}
}

// Every check must be able to fail: each mutation breaks one rule of a
// correct render, and the check for that rule must say so.
func TestKubernetesChecksCatchBrokenManifests(t *testing.T) {
	mutations := []struct {
		rule   string
		mutate func(c *cluster)
	}{
		{"every container is hardened", func(c *cluster) {
			sts(c, "member-registry").Spec.Template.Spec.Containers[0].SecurityContext.ReadOnlyRootFilesystem = ptr(false)
		}},
		{"every container is hardened", func(c *cluster) {
			sts(c, "sales-reporting").Spec.Template.Spec.InitContainers[0].SecurityContext.Capabilities.Drop = nil
		}},
		{"every container is hardened", func(c *cluster) {
			dep(c, "gateway").Spec.Template.Spec.SecurityContext.SeccompProfile = nil
		}},
		{"every container is hardened", func(c *cluster) {
			c.cronJobs[0].Spec.JobTemplate.Spec.Template.Spec.SecurityContext.RunAsUser = ptr(int64(0))
		}},
		{"every container is hardened", func(c *cluster) {
			sts(c, "session-scheduling").Spec.Template.Spec.Containers[0].SecurityContext.AllowPrivilegeEscalation = ptr(true)
		}},
		{"every pod passes the restricted Pod Security Standard", func(c *cluster) {
			c.jobs = append(c.jobs, &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: "debug"}, Spec: batchv1.JobSpec{Template: corev1.PodTemplateSpec{
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "debug", Image: "alliance:dev"}}}}}})
		}},
		{"every pod passes the restricted Pod Security Standard", func(c *cluster) {
			sts(c, "member-registry").Spec.Template.Spec.Volumes[0].VolumeSource = corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/var/lib/alliance"}}
		}},
		{"every container has requests and limits", func(c *cluster) {
			delete(dep(c, "gateway").Spec.Template.Spec.Containers[0].Resources.Limits, corev1.ResourceMemory)
		}},
		{"every image is the suite's, tagged", func(c *cluster) {
			dep(c, "gateway").Spec.Template.Spec.Containers[0].Image = "alliance:latest"
		}},
		{"every store is one StatefulSet with a PVC", func(c *cluster) {
			sts(c, "sales-reporting").Spec.Replicas = ptr(int32(2))
		}},
		{"every store is one StatefulSet with a PVC", func(c *cluster) {
			sts(c, "member-registry").Spec.VolumeClaimTemplates = nil
		}},
		{"every store is one StatefulSet with a PVC", func(c *cluster) {
			env := sts(c, "session-scheduling").Spec.Template.Spec.Containers[0].Env
			for i := range env {
				if env[i].Name == "SESSION_SCHEDULING_DATA_DIR" {
					env[i].Value = "/tmp/data"
				}
			}
		}},
		{"every store is one StatefulSet with a PVC", func(c *cluster) {
			c.statefulSets = slices.DeleteFunc(c.statefulSets, func(s *appsv1.StatefulSet) bool { return s.Name == "member-registry" })
		}},
		{"every store has gRPC liveness and readiness probes", func(c *cluster) {
			sts(c, "member-registry").Spec.Template.Spec.Containers[0].ReadinessProbe = nil
		}},
		{"every store has gRPC liveness and readiness probes", func(c *cluster) {
			sts(c, "sales-reporting").Spec.Template.Spec.Containers[0].LivenessProbe.GRPC.Port = 50051
		}},
		{"every Service targets a container port", func(c *cluster) {
			svc(c, "session-scheduling").Spec.Ports[0].TargetPort = intstr.FromInt32(50099)
		}},
		{"every Service targets a container port", func(c *cluster) {
			svc(c, "gateway").Spec.Ports[0].TargetPort = intstr.FromString("htpp")
		}},
		{"every Service targets a container port", func(c *cluster) {
			svc(c, "sales-reporting").Spec.Selector = map[string]string{"app.kubernetes.io/name": "sales"}
		}},
		{"every NetworkPolicy selects pods that exist", func(c *cluster) {
			pol(c, "member-registry").Spec.PodSelector.MatchLabels["app.kubernetes.io/name"] = "member-registy"
		}},
		{"every NetworkPolicy selects pods that exist", func(c *cluster) {
			pol(c, "sales-reporting").Spec.Ingress[0].From[0].PodSelector.MatchLabels["app.kubernetes.io/name"] = "gatway"
		}},
		{"every NetworkPolicy selects pods that exist", func(c *cluster) {
			pol(c, "gateway").Spec.Ingress[1].From[0].NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"] = "default"
		}},
		{"every NetworkPolicy selects pods that exist", func(c *cluster) {
			pol(c, "member-registry").Spec.Ingress[0].Ports[0].Port = ptr(intstr.FromInt32(50052))
		}},
		{"NetworkPolicies allow exactly the architecture", func(c *cluster) {
			p := pol(c, "sales-reporting")
			p.Spec.Ingress[0].From = append(p.Spec.Ingress[0].From, networkingv1.NetworkPolicyPeer{
				PodSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app.kubernetes.io/name": "member-registry"}}})
		}},
		{"NetworkPolicies allow exactly the architecture", func(c *cluster) {
			p := pol(c, "member-registry")
			p.Spec.Ingress[0].From = p.Spec.Ingress[0].From[1:] // the gateway's edge
		}},
		{"NetworkPolicies allow exactly the architecture", func(c *cluster) {
			c.policies = slices.DeleteFunc(c.policies, func(p *networkingv1.NetworkPolicy) bool { return p.Name == "default-deny-ingress" })
		}},
		{"NetworkPolicies allow exactly the architecture", func(c *cluster) {
			pol(c, "session-scheduling").Spec.Ingress[0].From = nil // from anywhere
		}},
		{"every configured address is an allowed edge", func(c *cluster) {
			setEnv(&dep(c, "gateway").Spec.Template.Spec.Containers[0], "GATEWAY_SALES_REPORTING_ADDR", "sales-reporting:50055")
		}},
		{"every configured address is an allowed edge", func(c *cluster) {
			setEnv(&sts(c, "session-scheduling").Spec.Template.Spec.Containers[0], "SESSION_SCHEDULING_MEMBER_REGISTRY_ADDR", "sales-reporting:50053")
		}},
		{"the gateway has two replicas and a PDB", func(c *cluster) {
			dep(c, "gateway").Spec.Replicas = ptr(int32(1))
		}},
		{"the gateway has two replicas and a PDB", func(c *cluster) { c.pdbs = nil }},
		{"every process is scraped on its admin port", func(c *cluster) {
			sts(c, "session-scheduling").Spec.Template.Annotations["prometheus.io/port"] = "9101"
		}},
		{"every process is scraped on its admin port", func(c *cluster) {
			setEnv(&sts(c, "sales-reporting").Spec.Template.Spec.Containers[0], "SALES_REPORTING_ADMIN_ADDR", ":9999")
		}},
		{"secrets are mounted files, from where they belong", func(c *cluster) {
			ctr := &sts(c, "member-registry").Spec.Template.Spec.Containers[0]
			ctr.Env = append(ctr.Env, corev1.EnvVar{Name: "ADMIN_KEY", ValueFrom: &corev1.EnvVarSource{
				SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "alliance-auth"}, Key: "admin.key"}}})
		}},
		{"secrets are mounted files, from where they belong", func(c *cluster) {
			for _, v := range sts(c, "sales-reporting").Spec.Template.Spec.Volumes {
				if v.Secret != nil {
					v.Secret.SecretName = "alliance-auth-typo"
				}
			}
		}},
		{"secrets are mounted files, from where they belong", func(c *cluster) {
			c.secrets = append(c.secrets, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "alliance-auth"}})
		}},
		{"the backup CronJob writes alliance-admin to a claim", func(c *cluster) {
			c.pvcs = nil
		}},
		{"names are valid DNS labels", func(c *cluster) { svc(c, "gateway").Name = "Gateway_HTTP" }},
	}
	for _, m := range mutations {
		t.Run(m.rule, func(t *testing.T) {
			// prod has no Secret objects, so the secret mutations that add
			// one are caught there; dev covers the others.
			for _, o := range []string{"dev", "prod"} {
				c := render(t, overlays[o].dir)
				c.secretsOutside = overlays[o].secretsOutside
				if errs := kubernetesChecks[m.rule](c); len(errs) != 0 {
					t.Fatalf("%s fails %q before the mutation: %v", o, m.rule, errs)
				}
				m.mutate(c)
				if len(kubernetesChecks[m.rule](c)) > 0 {
					return
				}
			}
			t.Errorf("no overlay failed %q after the mutation", m.rule)
		})
	}
}

func ptr[T any](v T) *T { return &v }

// find is the object called name among items (StatefulSets,
// Deployments...), and whether there is one.
func find[T interface{ GetName() string }](items []T, name string) (T, bool) {
	for _, o := range items {
		if o.GetName() == name {
			return o, true
		}
	}
	var none T
	return none, false
}

// named is find for an object the render must have: kind names it in the
// panic of a test that asks for one it does not have.
func named[T interface{ GetName() string }](kind string, items []T, name string) T {
	o, ok := find(items, name)
	if !ok {
		panic("no " + kind + " " + name)
	}
	return o
}

func sts(c *cluster, name string) *appsv1.StatefulSet {
	return named("StatefulSet", c.statefulSets, name)
}

func dep(c *cluster, name string) *appsv1.Deployment { return named("Deployment", c.deployments, name) }

func svc(c *cluster, name string) *corev1.Service { return named("Service", c.services, name) }

func pol(c *cluster, name string) *networkingv1.NetworkPolicy {
	return named("NetworkPolicy", c.policies, name)
}

func setEnv(ctr *corev1.Container, name, value string) {
	for i := range ctr.Env {
		if ctr.Env[i].Name == name {
			ctr.Env[i].Value = value
			return
		}
	}
	panic("no env " + name + " in " + ctr.Name)
}

func envOf(ctr corev1.Container, name string) (string, bool) {
	for _, e := range ctr.Env {
		if e.Name == name {
			return e.Value, true
		}
	}
	return "", false
}

// envPrefix is the prefix of a process's environment variables.
func envPrefix(process string) string {
	return strings.ToUpper(strings.ReplaceAll(process, "-", "_"))
}

func containers(spec *corev1.PodSpec) []corev1.Container {
	return append(slices.Clone(spec.InitContainers), spec.Containers...)
}

func checkNames(c *cluster) (errs []error) {
	check := func(kind, name string) {
		if msgs := validation.IsDNS1123Label(name); len(msgs) > 0 {
			errs = append(errs, fmt.Errorf("%s %q: %s", kind, name, strings.Join(msgs, "; ")))
		}
	}
	for _, s := range c.services {
		check("Service", s.Name)
	}
	for _, w := range c.workloads() {
		check(w.kind, w.name)
		for _, ctr := range containers(&w.tpl.Spec) {
			check("container", ctr.Name)
			for _, p := range ctr.Ports {
				if msgs := validation.IsValidPortName(p.Name); len(msgs) > 0 {
					errs = append(errs, fmt.Errorf("%s %s port %q: %s", w.kind, w.name, p.Name, strings.Join(msgs, "; ")))
				}
			}
		}
	}
	return errs
}

// checkHardening is Online Boutique's hardening, which the restricted Pod
// Security Standard also enforces.
func checkHardening(c *cluster) (errs []error) {
	for _, w := range c.workloads() {
		spec := &w.tpl.Spec
		psc := ptrOr(spec.SecurityContext, corev1.PodSecurityContext{})
		if spec.HostNetwork || spec.HostPID || spec.HostIPC {
			errs = append(errs, fmt.Errorf("%s %s shares a host namespace", w.kind, w.name))
		}
		if ptrOr(spec.AutomountServiceAccountToken, true) {
			errs = append(errs, fmt.Errorf("%s %s mounts a service account token it never uses", w.kind, w.name))
		}
		for _, v := range spec.Volumes {
			if v.HostPath != nil {
				errs = append(errs, fmt.Errorf("%s %s mounts host path %s", w.kind, w.name, v.HostPath.Path))
			}
		}
		for _, ctr := range containers(spec) {
			where := fmt.Sprintf("%s %s container %s", w.kind, w.name, ctr.Name)
			sc := ptrOr(ctr.SecurityContext, corev1.SecurityContext{})
			nonRoot := ptrOr(sc.RunAsNonRoot, ptrOr(psc.RunAsNonRoot, false))
			uid := ptrOr(sc.RunAsUser, ptrOr(psc.RunAsUser, -1))
			switch {
			case !nonRoot:
				errs = append(errs, fmt.Errorf("%s: runAsNonRoot is not set", where))
			case uid == 0:
				errs = append(errs, fmt.Errorf("%s: runs as uid 0", where))
			}
			if !ptrOr(sc.ReadOnlyRootFilesystem, false) {
				errs = append(errs, fmt.Errorf("%s: root filesystem is writable", where))
			}
			if ptrOr(sc.AllowPrivilegeEscalation, true) {
				errs = append(errs, fmt.Errorf("%s: allowPrivilegeEscalation is not false", where))
			}
			if ptrOr(sc.Privileged, false) {
				errs = append(errs, fmt.Errorf("%s: privileged", where))
			}
			if sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") {
				errs = append(errs, fmt.Errorf("%s: capabilities are not dropped (drop: [ALL])", where))
			} else if len(sc.Capabilities.Add) > 0 {
				errs = append(errs, fmt.Errorf("%s: adds capabilities %v", where, sc.Capabilities.Add))
			}
			seccomp := sc.SeccompProfile
			if seccomp == nil {
				seccomp = psc.SeccompProfile
			}
			if seccomp == nil || seccomp.Type != corev1.SeccompProfileTypeRuntimeDefault {
				errs = append(errs, fmt.Errorf("%s: seccomp profile is not RuntimeDefault", where))
			}
		}
	}
	return errs
}

// checkPodSecurity runs Kubernetes' own Pod Security Admission checks at
// the restricted level, which both overlays' namespaces enforce: a pod
// that fails them would be refused at apply time.
func checkPodSecurity(c *cluster) (errs []error) {
	eval, err := psapolicy.NewEvaluator(psapolicy.DefaultChecks(), nil)
	if err != nil {
		return []error{err}
	}
	level := psaapi.LevelVersion{Level: psaapi.LevelRestricted, Version: psaapi.LatestVersion()}
	for _, w := range c.workloads() {
		res := psapolicy.AggregateCheckResults(eval.EvaluatePod(level, &w.tpl.ObjectMeta, &w.tpl.Spec))
		if !res.Allowed {
			errs = append(errs, fmt.Errorf("%s %s breaks the restricted Pod Security Standard: %s", w.kind, w.name, res.ForbiddenDetail()))
		}
	}
	return errs
}

func checkResources(c *cluster) (errs []error) {
	for _, w := range c.workloads() {
		for _, ctr := range containers(&w.tpl.Spec) {
			for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
				req, okReq := ctr.Resources.Requests[r]
				lim, okLim := ctr.Resources.Limits[r]
				switch {
				case !okReq || !okLim:
					errs = append(errs, fmt.Errorf("%s %s container %s: %s request and limit must both be set", w.kind, w.name, ctr.Name, r))
				case req.Cmp(lim) > 0:
					errs = append(errs, fmt.Errorf("%s %s container %s: %s request %s is over its limit %s", w.kind, w.name, ctr.Name, r, req.String(), lim.String()))
				case req.Sign() <= 0:
					errs = append(errs, fmt.Errorf("%s %s container %s: %s request must be positive", w.kind, w.name, ctr.Name, r))
				}
			}
		}
	}
	return errs
}

// checkImages: one image for the suite, always with a tag or digest that
// is not "latest" (an overlay sets it).
func checkImages(c *cluster) (errs []error) {
	names := map[string]bool{}
	for _, w := range c.workloads() {
		for _, ctr := range containers(&w.tpl.Spec) {
			ref := ctr.Image
			name, tag := ref, ""
			if i := strings.LastIndex(ref, "@"); i > 0 {
				name, tag = ref[:i], ref[i+1:]
			} else if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
				name, tag = ref[:i], ref[i+1:]
			}
			if tag == "" || tag == "latest" {
				errs = append(errs, fmt.Errorf("%s %s container %s: image %q needs a tag or digest other than latest", w.kind, w.name, ctr.Name, ref))
			}
			names[name] = true
		}
	}
	if len(names) > 1 {
		errs = append(errs, fmt.Errorf("the suite runs from one image, the manifests name %v", sortedKeys(names)))
	}
	return errs
}

func checkStores(c *cluster) (errs []error) {
	for _, d := range c.deployments {
		if slices.Contains(stores, d.Name) {
			errs = append(errs, fmt.Errorf("store %s is a Deployment: two pods could open its bbolt file", d.Name))
		}
	}
	for _, name := range stores {
		var s *appsv1.StatefulSet
		for _, x := range c.statefulSets {
			if x.Name == name {
				s = x
			}
		}
		if s == nil {
			errs = append(errs, fmt.Errorf("store %s has no StatefulSet", name))
			continue
		}
		if r := ptrOr(s.Spec.Replicas, 1); r != 1 {
			errs = append(errs, fmt.Errorf("store %s has %d replicas: bbolt is single-writer, it must have exactly 1", name, r))
		}
		claims := map[string]bool{}
		for _, vct := range s.Spec.VolumeClaimTemplates {
			if q, ok := vct.Spec.Resources.Requests[corev1.ResourceStorage]; !ok || q.Cmp(resource.MustParse("1Gi")) < 0 {
				errs = append(errs, fmt.Errorf("store %s: claim %s requests %v storage, want at least 1Gi", name, vct.Name, vct.Spec.Resources.Requests.Storage()))
			}
			claims[vct.Name] = true
		}
		ctr := s.Spec.Template.Spec.Containers[0]
		dataDir, ok := envOf(ctr, envPrefix(name)+"_DATA_DIR")
		if !ok {
			errs = append(errs, fmt.Errorf("store %s: %s_DATA_DIR is not set", name, envPrefix(name)))
		}
		onClaim := false
		for _, m := range ctr.VolumeMounts {
			if m.MountPath == dataDir && claims[m.Name] && !m.ReadOnly {
				onClaim = true
			}
		}
		if !onClaim {
			errs = append(errs, fmt.Errorf("store %s: its data dir %q is not a PersistentVolumeClaim of the StatefulSet", name, dataDir))
		}
	}
	return errs
}

// grpcPort is the port of a store's -grpc-addr.
func grpcPort(ctr corev1.Container, process string) (int32, error) {
	addr, ok := envOf(ctr, envPrefix(process)+"_GRPC_ADDR")
	if !ok {
		return 0, fmt.Errorf("%s: %s_GRPC_ADDR is not set", process, envPrefix(process))
	}
	return portOf(addr)
}

func portOf(addr string) (int32, error) {
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		return 0, err
	}
	n, err := strconv.Atoi(p)
	return int32(n), err
}

func checkGRPCProbes(c *cluster) (errs []error) {
	for _, s := range c.statefulSets {
		if !slices.Contains(stores, s.Name) {
			continue
		}
		ctr := s.Spec.Template.Spec.Containers[0]
		port, err := grpcPort(ctr, s.Name)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for kind, p := range map[string]*corev1.Probe{"liveness": ctr.LivenessProbe, "readiness": ctr.ReadinessProbe} {
			switch {
			case p == nil || p.GRPC == nil:
				errs = append(errs, fmt.Errorf("store %s has no gRPC %s probe", s.Name, kind))
			case p.GRPC.Port != port:
				errs = append(errs, fmt.Errorf("store %s: %s probe on port %d, but it serves gRPC on %d", s.Name, kind, p.GRPC.Port, port))
			}
		}
	}
	return errs
}

// podsSelected are the workloads whose pods a selector matches.
func (c *cluster) podsSelected(sel labels.Selector) []workload {
	var ws []workload
	for _, w := range c.workloads() {
		if sel.Matches(labels.Set(w.tpl.Labels)) {
			ws = append(ws, w)
		}
	}
	return ws
}

// hasPort reports whether every selected pod has the container port.
func hasPort(ws []workload, port intstr.IntOrString) bool {
	for _, w := range ws {
		found := false
		for _, ctr := range w.tpl.Spec.Containers {
			for _, p := range ctr.Ports {
				if (port.Type == intstr.String && p.Name == port.StrVal) || (port.Type == intstr.Int && p.ContainerPort == port.IntVal) {
					found = true
				}
			}
		}
		if !found {
			return false
		}
	}
	return len(ws) > 0
}

func checkServicePorts(c *cluster) (errs []error) {
	for _, s := range c.services {
		ws := c.podsSelected(labels.SelectorFromSet(s.Spec.Selector))
		if len(s.Spec.Selector) == 0 || len(ws) == 0 {
			errs = append(errs, fmt.Errorf("Service %s selects no pod", s.Name))
			continue
		}
		for _, p := range s.Spec.Ports {
			target := p.TargetPort
			if target.Type == intstr.Int && target.IntVal == 0 {
				target = intstr.FromInt32(p.Port)
			}
			if !hasPort(ws, target) {
				errs = append(errs, fmt.Errorf("Service %s port %s targets %s, which its pods do not expose", s.Name, p.Name, target.String()))
			}
		}
	}
	return errs
}

// monitoring is the only namespace a policy may let in: Prometheus's.
var monitoring = map[string]string{"kubernetes.io/metadata.name": "monitoring"}

func checkPolicySelectors(c *cluster) (errs []error) {
	for _, p := range c.policies {
		sel, err := metav1.LabelSelectorAsSelector(&p.Spec.PodSelector)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		targets := c.podsSelected(sel)
		if len(targets) == 0 {
			errs = append(errs, fmt.Errorf("NetworkPolicy %s selects no pod", p.Name))
		}
		for i, rule := range p.Spec.Ingress {
			for _, port := range rule.Ports {
				if port.Port != nil && !hasPort(targets, *port.Port) {
					errs = append(errs, fmt.Errorf("NetworkPolicy %s rule %d lets in port %s, which %s does not serve", p.Name, i, port.Port.String(), p.Name))
				}
			}
			for _, peer := range rule.From {
				switch {
				case peer.IPBlock != nil:
					errs = append(errs, fmt.Errorf("NetworkPolicy %s rule %d lets in an IP block; the suite's peers are pods", p.Name, i))
				case peer.NamespaceSelector != nil:
					if !maps.Equal(peer.NamespaceSelector.MatchLabels, monitoring) || peer.PodSelector == nil || len(peer.PodSelector.MatchLabels) == 0 {
						errs = append(errs, fmt.Errorf("NetworkPolicy %s rule %d lets in namespaces %v: only Prometheus pods of the monitoring namespace may come from outside", p.Name, i, peer.NamespaceSelector.MatchLabels))
					}
				case peer.PodSelector != nil:
					ps, err := metav1.LabelSelectorAsSelector(peer.PodSelector)
					if err != nil {
						errs = append(errs, err)
					} else if len(c.podsSelected(ps)) == 0 {
						errs = append(errs, fmt.Errorf("NetworkPolicy %s rule %d lets in %v, which selects no pod", p.Name, i, peer.PodSelector.MatchLabels))
					}
				}
			}
		}
	}
	return errs
}

// allowedEdges are "from -> to" for every pod-to-pod connection the
// NetworkPolicies let in (by app.kubernetes.io/name), with "*" for a rule
// open to anyone.
func (c *cluster) allowedEdges() (map[string][]int32, []error) {
	var errs []error
	out := map[string][]int32{}
	name := func(w workload) string { return w.tpl.Labels["app.kubernetes.io/name"] }
	for _, p := range c.policies {
		sel, _ := metav1.LabelSelectorAsSelector(&p.Spec.PodSelector)
		for _, to := range c.podsSelected(sel) {
			for _, rule := range p.Spec.Ingress {
				var ports []int32
				for _, port := range rule.Ports {
					if port.Port != nil {
						ports = append(ports, port.Port.IntVal)
					}
				}
				if len(rule.From) == 0 {
					out["* -> "+name(to)] = append(out["* -> "+name(to)], ports...)
				}
				for _, peer := range rule.From {
					if peer.NamespaceSelector != nil || peer.PodSelector == nil {
						continue
					}
					ps, _ := metav1.LabelSelectorAsSelector(peer.PodSelector)
					for _, from := range c.podsSelected(ps) {
						e := name(from) + " -> " + name(to)
						out[e] = append(out[e], ports...)
					}
				}
			}
		}
	}
	deny := false
	for _, p := range c.policies {
		if len(p.Spec.PodSelector.MatchLabels) == 0 && len(p.Spec.PodSelector.MatchExpressions) == 0 &&
			slices.Contains(p.Spec.PolicyTypes, networkingv1.PolicyTypeIngress) && len(p.Spec.Ingress) == 0 {
			deny = true
		}
	}
	if !deny {
		errs = append(errs, fmt.Errorf("no default-deny ingress policy: a pod no policy selects accepts anyone"))
	}
	return out, errs
}

func checkPolicyEdges(c *cluster) []error {
	got, errs := c.allowedEdges()
	var have []string
	for e := range got {
		if strings.HasPrefix(e, "* -> ") {
			if e != "* -> gateway" {
				errs = append(errs, fmt.Errorf("NetworkPolicies let anyone reach %s", strings.TrimPrefix(e, "* -> ")))
			}
			continue
		}
		have = append(have, e)
	}
	sort.Strings(have)
	for _, e := range have {
		if !slices.Contains(edges, e) {
			errs = append(errs, fmt.Errorf("NetworkPolicies allow %s, which the architecture does not draw", e))
		}
	}
	for _, e := range edges {
		if !slices.Contains(have, e) {
			errs = append(errs, fmt.Errorf("NetworkPolicies do not allow %s, which the architecture needs", e))
		}
	}
	return errs
}

// checkConfiguredEdges ties configuration to policy: every address a
// process dials (an *_ADDR variable or -*-addr flag naming a Service) must
// be a Service port whose pods the policies let this process reach.
func checkConfiguredEdges(c *cluster) []error {
	allowed, errs := c.allowedEdges()
	for _, w := range c.workloads() {
		from := w.tpl.Labels["app.kubernetes.io/name"]
		for _, ctr := range w.tpl.Spec.Containers {
			var addrs []string
			for _, e := range ctr.Env {
				if strings.HasSuffix(e.Name, "_ADDR") {
					addrs = append(addrs, e.Value)
				}
			}
			for _, a := range ctr.Command {
				if k, v, ok := strings.Cut(a, "="); ok && strings.HasSuffix(k, "-addr") {
					addrs = append(addrs, v)
				}
			}
			for _, addr := range addrs {
				host, _, err := net.SplitHostPort(addr)
				if err != nil || host == "" {
					continue // a listen address
				}
				port, _ := portOf(addr)
				var target *corev1.Service
				for _, s := range c.services {
					if s.Name == host {
						target = s
					}
				}
				if target == nil {
					errs = append(errs, fmt.Errorf("%s %s dials %s: no such Service", w.kind, w.name, addr))
					continue
				}
				var sp *corev1.ServicePort
				for i := range target.Spec.Ports {
					if target.Spec.Ports[i].Port == port {
						sp = &target.Spec.Ports[i]
					}
				}
				if sp == nil {
					errs = append(errs, fmt.Errorf("%s %s dials %s: Service %s has no port %d", w.kind, w.name, addr, host, port))
					continue
				}
				to := target.Spec.Selector["app.kubernetes.io/name"]
				if !slices.Contains(allowed[from+" -> "+to], port) {
					errs = append(errs, fmt.Errorf("%s %s dials %s, which the NetworkPolicies refuse", w.kind, w.name, addr))
				}
			}
		}
	}
	return errs
}

func checkGateway(c *cluster) (errs []error) {
	gw, ok := find(c.deployments, "gateway")
	if !ok {
		return []error{fmt.Errorf("no gateway Deployment")}
	}
	replicas := ptrOr(gw.Spec.Replicas, 1)
	if replicas < 2 {
		errs = append(errs, fmt.Errorf("gateway has %d replicas, want at least 2", replicas))
	}
	covered := false
	for _, p := range c.pdbs {
		sel, err := metav1.LabelSelectorAsSelector(p.Spec.Selector)
		if err != nil || !sel.Matches(labels.Set(gw.Spec.Template.Labels)) {
			continue
		}
		covered = true
		if p.Spec.MinAvailable != nil {
			if n := p.Spec.MinAvailable.IntValue(); p.Spec.MinAvailable.Type == intstr.Int && (n < 1 || int32(n) >= replicas) {
				errs = append(errs, fmt.Errorf("PDB %s minAvailable %d: want at least 1 and fewer than the %d replicas (or no drain ever finishes)", p.Name, n, replicas))
			}
		}
	}
	if !covered {
		errs = append(errs, fmt.Errorf("no PodDisruptionBudget covers the gateway"))
	}
	return errs
}

// checkScrape: every long-running process has the scrape annotations on
// its admin port, that port is -admin-addr's, and a Service names it
// "metrics" for a ServiceMonitor.
func checkScrape(c *cluster) (errs []error) {
	for _, w := range c.workloads() {
		if w.kind != "StatefulSet" && w.kind != "Deployment" {
			continue
		}
		a := w.tpl.Annotations
		if a["prometheus.io/scrape"] != "true" || a["prometheus.io/path"] != "/metrics" {
			errs = append(errs, fmt.Errorf("%s %s is not annotated for scraping /metrics", w.kind, w.name))
			continue
		}
		ctr := w.tpl.Spec.Containers[0]
		admin, ok := envOf(ctr, envPrefix(w.name)+"_ADMIN_ADDR")
		if !ok {
			errs = append(errs, fmt.Errorf("%s %s: %s_ADMIN_ADDR is not set", w.kind, w.name, envPrefix(w.name)))
			continue
		}
		port, err := portOf(admin)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if a["prometheus.io/port"] != strconv.Itoa(int(port)) {
			errs = append(errs, fmt.Errorf("%s %s: scraped on port %s, but its admin port is %d", w.kind, w.name, a["prometheus.io/port"], port))
		}
		if !hasPort([]workload{w}, intstr.FromInt32(port)) {
			errs = append(errs, fmt.Errorf("%s %s: admin port %d is not a container port", w.kind, w.name, port))
		}
		named := false
		for _, s := range c.services {
			if !labels.SelectorFromSet(s.Spec.Selector).Matches(labels.Set(w.tpl.Labels)) {
				continue
			}
			for _, p := range s.Spec.Ports {
				if p.Name == "metrics" && p.Port == port {
					named = true
				}
			}
		}
		if !named {
			errs = append(errs, fmt.Errorf("%s %s: no Service port named metrics on %d", w.kind, w.name, port))
		}
	}
	return errs
}

// checkSecrets: keys reach processes only as mounted files; the Secrets
// they name exist in dev and are left to the operator in prod.
func checkSecrets(c *cluster) (errs []error) {
	rendered := map[string]bool{}
	for _, s := range c.secrets {
		rendered[s.Name] = true
	}
	if c.secretsOutside && len(c.secrets) > 0 {
		errs = append(errs, fmt.Errorf("this overlay takes its Secrets from outside, but renders %d (a key in git)", len(c.secrets)))
	}
	for _, w := range c.workloads() {
		for _, ctr := range containers(&w.tpl.Spec) {
			for _, e := range ctr.Env {
				if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
					errs = append(errs, fmt.Errorf("%s %s container %s: %s comes from a Secret; keys are files, not environment", w.kind, w.name, ctr.Name, e.Name))
				}
			}
			for _, ef := range ctr.EnvFrom {
				if ef.SecretRef != nil {
					errs = append(errs, fmt.Errorf("%s %s container %s: environment from Secret %s; keys are files", w.kind, w.name, ctr.Name, ef.SecretRef.Name))
				}
			}
		}
		for _, v := range w.tpl.Spec.Volumes {
			if v.Secret == nil {
				continue
			}
			name := v.Secret.SecretName
			switch {
			case c.secretsOutside && !slices.Contains(externalSecrets, name):
				errs = append(errs, fmt.Errorf("%s %s mounts Secret %s, which deploy/README.md does not tell the operator to make", w.kind, w.name, name))
			case !c.secretsOutside && !rendered[name]:
				errs = append(errs, fmt.Errorf("%s %s mounts Secret %s, which the overlay does not make", w.kind, w.name, name))
			}
			if m := ptrOr(v.Secret.DefaultMode, 0o644); m != 0o400 {
				errs = append(errs, fmt.Errorf("%s %s: Secret volume %s has mode %o; want owner read (0400)", w.kind, w.name, v.Name, m))
			}
		}
	}
	return errs
}

func checkBackup(c *cluster) (errs []error) {
	job, found := find(c.cronJobs, "alliance-backup")
	if !found {
		return []error{fmt.Errorf("no CronJob alliance-backup")}
	}
	if job.Spec.ConcurrencyPolicy != batchv1.ForbidConcurrent {
		errs = append(errs, fmt.Errorf("alliance-backup: two backups may run at once (concurrencyPolicy %q)", job.Spec.ConcurrencyPolicy))
	}
	spec := job.Spec.JobTemplate.Spec.Template.Spec
	ctr := spec.Containers[0]
	if len(ctr.Command) < 4 || ctr.Command[0] != "alliance-admin" || ctr.Command[1] != "backup" || ctr.Command[2] != "-out" {
		return append(errs, fmt.Errorf("alliance-backup runs %q, want alliance-admin backup -out DIR", ctr.Command))
	}
	out := ctr.Command[3]
	pvcs := map[string]bool{}
	for _, p := range c.pvcs {
		pvcs[p.Name] = true
	}
	claimOf := map[string]string{}
	for _, v := range spec.Volumes {
		if v.PersistentVolumeClaim != nil {
			claimOf[v.Name] = v.PersistentVolumeClaim.ClaimName
		}
	}
	ok := false
	for _, m := range ctr.VolumeMounts {
		if m.MountPath == out && pvcs[claimOf[m.Name]] && !m.ReadOnly {
			ok = true
		}
	}
	if !ok {
		errs = append(errs, fmt.Errorf("alliance-backup writes to %s, which is not a rendered PersistentVolumeClaim", out))
	}
	return errs
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
