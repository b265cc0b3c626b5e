// validate.mjs MODULES FILE... - check every document of the Kubernetes
// manifests FILE... offline (tests/cli/k8s_manifests.sh).
//
// Built-in kinds (Deployment, Service, ConfigMap, Secret, CronJob,
// ServiceAccount...) go through kubernetes-models' validator of their
// apiVersion/kind, compiled (ajv) from the Kubernetes OpenAPI schemas:
// required fields, types, enums and formats. Those schemas leave objects
// open, so an unknown field name is NOT caught by them.
// KubeRay's RayCluster and RayJob have no schema in that package: a small
// one of our own checks their apiVersion, kind, metadata.name and the
// fields KubeRay's CRD requires (headGroupSpec.template, each worker
// group's groupName and template; a RayJob's rayClusterSpec or
// clusterSelector), and each embedded pod template is validated as a
// Kubernetes PodTemplateSpec.
// Prints one line per document; exits 1 if any is invalid or unknown.
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const [modules, ...files] = process.argv.slice(2);
const load = (p) => import(pathToFileURL(`${modules}/${p}`).href);
const YAML = await load("yaml/dist/index.js");
const { validate: validatePodTemplate } =
	await load("kubernetes-models/_schemas/IoK8sApiCoreV1PodTemplateSpec.js");

let bad = 0;
const failDoc = (where, msg) => {
	console.log(`INVALID ${where}: ${msg}`);
	bad++;
};

function podTemplate(where, t) {
	if (!t || typeof t !== "object")
		return failDoc(where, "no pod template");
	if (!validatePodTemplate(t))
		return failDoc(where, validatePodTemplate.errors
			.map((e) => `${e.instancePath} ${e.message || `${e.keyword} ${JSON.stringify(e.params)}`}`).join("; "));
	if (!t.spec || !Array.isArray(t.spec.containers) || !t.spec.containers.length)
		return failDoc(where, "pod template without containers");
	return true;
}

function rayClusterSpec(where, s) {
	if (!s || typeof s !== "object")
		return failDoc(where, "no spec");
	let ok = true;
	if (!s.headGroupSpec)
		return failDoc(where, "spec.headGroupSpec is required");
	ok = podTemplate(`${where} headGroupSpec.template`, s.headGroupSpec.template) && ok;
	for (const [i, g] of (s.workerGroupSpecs || []).entries()) {
		if (typeof g.groupName !== "string" || !g.groupName)
			ok = failDoc(where, `workerGroupSpecs[${i}].groupName is required`);
		ok = podTemplate(`${where} workerGroupSpecs[${i}].template`, g.template) && ok;
		for (const k of ["replicas", "minReplicas", "maxReplicas"])
			if (k in g && !Number.isInteger(g[k]))
				ok = failDoc(where, `workerGroupSpecs[${i}].${k} must be an integer`);
	}
	return ok;
}

async function builtin(where, doc) {
	const [group, version] = doc.apiVersion.includes("/")
		? doc.apiVersion.split("/") : [null, doc.apiVersion];
	let mod;
	try {
		mod = await load(`kubernetes-models/${group ? group + "/" : ""}${version}/index.js`);
	} catch {
		return failDoc(where, `no schema for apiVersion ${doc.apiVersion}`);
	}
	const Kind = mod[doc.kind];
	if (!Kind || Kind.kind !== doc.kind)
		return failDoc(where, `no schema for ${doc.apiVersion} ${doc.kind}`);
	try {
		new Kind(doc).validate();
	} catch (e) {
		return failDoc(where, e.message);
	}
	return true;
}

for (const file of files) {
	const docs = YAML.parseAllDocuments(readFileSync(file, "utf8"));
	for (const [i, d] of docs.entries()) {
		const where = `${file}#${i + 1}`;
		if (d.errors.length) {
			failDoc(where, d.errors.map((e) => e.message).join("; "));
			continue;
		}
		const doc = d.toJS();
		if (doc === null)
			continue; // an empty document (a trailing ---)
		if (typeof doc.apiVersion !== "string" || typeof doc.kind !== "string") {
			failDoc(where, "apiVersion and kind are required");
			continue;
		}
		if (!doc.metadata || typeof doc.metadata.name !== "string" || !doc.metadata.name) {
			failDoc(where, "metadata.name is required");
			continue;
		}
		const what = `${doc.apiVersion} ${doc.kind} ${doc.metadata.name}`;
		let ok;
		if (doc.apiVersion === "ray.io/v1" && doc.kind === "RayCluster") {
			ok = rayClusterSpec(where, doc.spec);
		} else if (doc.apiVersion === "ray.io/v1" && doc.kind === "RayJob") {
			const s = doc.spec || {};
			if (s.rayClusterSpec)
				ok = rayClusterSpec(`${where} rayClusterSpec`, s.rayClusterSpec);
			else if (s.clusterSelector)
				ok = true;
			else
				ok = failDoc(where, "spec.rayClusterSpec or spec.clusterSelector is required");
			if (s.submitterPodTemplate)
				ok = podTemplate(`${where} submitterPodTemplate`, s.submitterPodTemplate) && ok;
		} else {
			ok = await builtin(where, doc);
		}
		if (ok)
			console.log(`ok ${where}: ${what}`);
	}
}
process.exit(bad ? 1 : 0);
