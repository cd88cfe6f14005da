// validate-k8s.cjs MODELS_DIR < objects.json - validates every object of a
// JSON array (rendered manifests) against Kubernetes' OpenAPI schema with the
// npm package kubernetes-models (installed in MODELS_DIR by
// scripts/get-helm.sh).  Prints "ok - KIND NAME" or "not ok - KIND NAME:
// errors" per object; exits 1 when any object is invalid or of an unknown kind.
// Fields the schema does not know (typos the API server would drop) are
// reported too (strict-fields.cjs).
"use strict";
const { createRequire } = require("module");
const path = require("path");

const { Declarations, check } = require("./strict-fields.cjs");

const modelsRequire = createRequire(path.join(path.resolve(process.argv[2]), "package.json"));
const decls = new Declarations((m) => modelsRequire.resolve(m));
const objects = JSON.parse(require("fs").readFileSync(0, "utf8"));
let bad = 0;
for (const obj of objects) {
	const what = `${obj.kind} ${obj.metadata && obj.metadata.name}`;
	// "apps/v1" -> kubernetes-models/apps/v1/StatefulSet, "v1" -> kubernetes-models/v1/Service
	let Model;
	try {
		Model = modelsRequire(`kubernetes-models/${obj.apiVersion}/${obj.kind}`)[obj.kind];
	} catch (e) {
		Model = undefined;
	}
	if (typeof Model !== "function") {
		console.log(`not ok - ${what}: no schema for ${obj.apiVersion} ${obj.kind}`);
		bad++;
		continue;
	}
	try {
		new Model(obj).validate();
		console.log(`ok - ${what} matches the ${obj.apiVersion} ${obj.kind} schema`);
	} catch (e) {
		console.log(`not ok - ${what}: ${String(e.message).replace(/\n/g, "; ")}`);
		bad++;
	}
	let unknown;
	try {
		unknown = check((m) => modelsRequire.resolve(m), decls, `kubernetes-models/${obj.apiVersion}/${obj.kind}`, obj);
	} catch (e) {
		unknown = [`(cannot read the declarations: ${e.message})`];
	}
	if (unknown.length) {
		console.log(`not ok - ${what}: unknown fields: ${unknown.join(", ")}`);
		bad++;
	} else {
		console.log(`ok - ${what} has no field unknown to Kubernetes`);
	}
}
process.exit(bad ? 1 : 0);
