// strict-fields.cjs - reports fields that Kubernetes does not know.
//
// kubernetes-models' validate() follows the OpenAPI schema, which (like the
// API server without --validate=strict) lets unknown fields pass: a typo such
// as `publishNotReadyAddress` would be silently dropped.  The package's
// TypeScript declarations list every field of every type, so this module
// reads them (a small parser for the subset of TypeScript they use) and walks
// an object against them.
"use strict";
const fs = require("fs");
const path = require("path");

function tokenize(src) {
	src = src.replace(/\/\*[\s\S]*?\*\//g, " ").replace(/\/\/[^\n]*/g, " ");
	const re = /\s*("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[A-Za-z_$][\w$]*|\[\]|[{}[\]<>|;:?,()=.&])/y;
	const toks = [];
	let m;
	re.lastIndex = 0;
	while (re.lastIndex < src.length && (m = re.exec(src))) toks.push(m[1]);
	return toks;
}

// Parses type expressions from a token list; returns {node, next}.
function parseType(t, i) {
	const alts = [];
	if (t[i] === "|") i++;
	for (;;) {
		let r = parsePrimary(t, i);
		i = r.next;
		while (t[i] === "[]") { r.node = { k: "arr", of: r.node }; i++; }
		alts.push(r.node);
		if (t[i] !== "|") break;
		i++;
	}
	return { node: alts.length === 1 ? alts[0] : { k: "union", alts }, next: i };
}

function parsePrimary(t, i) {
	const tok = t[i];
	if (tok === "{") return parseObject(t, i);
	if (tok === "(") {
		const r = parseType(t, i + 1);
		return { node: r.node, next: r.next + 1 };
	}
	if (tok === "Array" && t[i + 1] === "<") {
		const r = parseType(t, i + 2);
		return { node: { k: "arr", of: r.node }, next: r.next + 1 };
	}
	if (/^["']/.test(tok)) return { node: { k: "prim" }, next: i + 1 };
	let next = i + 1;
	if (t[next] === "[") next += 3; // IFoo["apiVersion"]
	if (/^(string|number|boolean|any|unknown|null|object|undefined|never)$/.test(tok)) return { node: { k: "prim" }, next };
	return { node: { k: "ref", name: tok }, next };
}

function parseObject(t, i) {
	const node = { k: "obj", props: {}, index: null };
	i++; // {
	while (t[i] !== "}") {
		if (t[i] === "[") { // [key: string]: T
			while (t[i] !== "]") i++;
			const r = parseType(t, i + 2);
			node.index = r.node;
			i = r.next;
		} else {
			const name = t[i].replace(/^["']|["']$/g, "");
			i++;
			if (t[i] === "?") i++;
			const r = parseType(t, i + 1); // after ':'
			node.props[name] = r.node;
			i = r.next;
		}
		if (t[i] === ";" || t[i] === ",") i++;
	}
	return { node, next: i + 1 };
}

class Declarations {
	constructor(resolveFrom) {
		this.resolveFrom = resolveFrom; // require-like resolver for module names
		this.files = new Map();
	}

	file(file) {
		if (this.files.has(file)) return this.files.get(file);
		const src = fs.readFileSync(file, "utf8");
		const info = { file, imports: {}, decls: {}, renames: {} };
		for (const m of src.matchAll(/import \{([^}]+)\} from "([^"]+)"/g))
			for (const part of m[1].split(",")) {
				const [orig, alias] = part.trim().split(/\s+as\s+/);
				if (orig) info.imports[(alias || orig).trim()] = { from: m[2], name: orig.trim() };
			}
		for (const m of src.matchAll(/export \{([^}]+)\}/g))
			for (const part of m[1].split(",")) {
				const [orig, alias] = part.trim().split(/\s+as\s+/);
				if (alias) info.renames[alias.trim()] = orig.trim();
			}
		const t = tokenize(src);
		for (let i = 0; i < t.length; i++) {
			if (t[i] === "interface" && t[i - 1] === "export") {
				const name = t[i + 1];
				let j = i + 2, ext = [];
				if (t[j] === "extends") { j++; while (t[j] !== "{") { if (t[j] !== ",") ext.push(t[j]); j++; } }
				const r = parseObject(t, j);
				if (ext.includes("TypeMeta")) {
					r.node.props.apiVersion = { k: "prim" };
					r.node.props.kind = { k: "prim" };
				}
				if (ext.some((e) => e !== "TypeMeta")) r.node.open = true;
				info.decls[name] = r.node;
				i = r.next - 1;
			} else if (t[i] === "type" && t[i - 1] === "declare" && t[i + 2] === "=") {
				const r = parseType(t, i + 3);
				info.decls[t[i + 1]] = r.node;
				i = r.next - 1;
			}
		}
		this.files.set(file, info);
		return info;
	}

	// The declaration called NAME as seen from FILE, with the file it lives in.
	lookup(name, file) {
		const info = this.file(file);
		if (info.decls[name]) return { node: info.decls[name], file };
		if (info.renames[name]) return this.lookup(info.renames[name], file);
		const imp = info.imports[name];
		if (imp) {
			let target;
			if (imp.from.startsWith(".")) target = path.resolve(path.dirname(file), imp.from) + ".d.ts";
			else {
				try {
					target = this.resolveFrom(imp.from).replace(/\.(c|m)?js$/, ".d.ts");
				} catch (e) {
					return null;
				}
			}
			if (!fs.existsSync(target)) return null;
			return this.lookup(imp.name, target);
		}
		return null;
	}
}

// Unknown fields of VALUE against NODE (declared in FILE), as paths.
function unknownFields(decls, value, node, file, where, out, depth = 0) {
	if (!node || depth > 60 || value === null || value === undefined) return out;
	if (node.k === "ref") {
		const d = decls.lookup(node.name, file);
		return d ? unknownFields(decls, value, d.node, d.file, where, out, depth + 1) : out;
	}
	if (node.k === "union") {
		const want = Array.isArray(value) ? "arr" : typeof value === "object" ? "obj" : "prim";
		const alts = node.alts.map((a) => (a.k === "ref" ? decls.lookup(a.name, file) : { node: a, file }))
			.filter((a) => a && a.node.k === want);
		return alts.length === 1 ? unknownFields(decls, value, alts[0].node, alts[0].file, where, out, depth + 1) : out;
	}
	if (node.k === "arr" && Array.isArray(value)) {
		value.forEach((v, i) => unknownFields(decls, v, node.of, file, `${where}[${i}]`, out, depth + 1));
	} else if (node.k === "obj" && typeof value === "object" && !Array.isArray(value)) {
		for (const [k, v] of Object.entries(value)) {
			const p = where ? `${where}.${k}` : k;
			if (node.props[k]) unknownFields(decls, v, node.props[k], file, p, out, depth + 1);
			else if (node.index) unknownFields(decls, v, node.index, file, p, out, depth + 1);
			else if (!node.open) out.push(p);
		}
	}
	return out;
}

// Unknown fields of OBJ, whose model module is MODULE ("kubernetes-models/apps/v1/StatefulSet").
function check(resolveFrom, decls, module, obj) {
	const file = resolveFrom(module).replace(/\.(c|m)?js$/, ".d.ts");
	const d = decls.lookup(`I${obj.kind}`, file);
	if (!d) throw new Error(`no declaration of I${obj.kind} in ${file}`);
	return unknownFields(decls, obj, d.node, d.file, "", []);
}

module.exports = { Declarations, check };
