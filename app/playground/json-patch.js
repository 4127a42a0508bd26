// RFC 6902 JSON Patch (add, remove, replace, move, copy, test) over RFC 6901 pointers, as
// STATE_DELTA events carry it. Returns a new document; the one given is left as it was. A
// patch that does not apply throws PatchError and changes nothing.

export class PatchError extends Error {}

export function applyPatch(document, operations) {
  if (!Array.isArray(operations)) throw new PatchError("a patch is an array of operations");
  let result = structuredClone(document);
  for (const operation of operations) result = applyOperation(result, operation);
  return result;
}

function applyOperation(document, operation) {
  const { op, path } = operation ?? {};
  if (typeof path !== "string") throw new PatchError(`operation without a path: ${JSON.stringify(operation)}`);
  switch (op) {
    case "add":
      return add(document, parse(path), clone(operation, "value"));
    case "remove":
      return remove(document, parse(path));
    case "replace":
      return add(remove(document, parse(path)), parse(path), clone(operation, "value"));
    case "move": {
      const from = parse(operation.from);
      const value = get(document, from);
      return add(remove(document, from), parse(path), value);
    }
    case "copy":
      return add(document, parse(path), structuredClone(get(document, parse(operation.from))));
    case "test":
      if (!equal(get(document, parse(path)), operation.value)) {
        throw new PatchError(`test failed at ${path}`);
      }
      return document;
    default:
      throw new PatchError(`unknown operation ${JSON.stringify(op)}`);
  }
}

function clone(operation, key) {
  if (!(key in operation)) throw new PatchError(`${operation.op} at ${operation.path} has no ${key}`);
  return structuredClone(operation[key]);
}

function parse(pointer) {
  if (typeof pointer !== "string") throw new PatchError("a pointer must be a string");
  if (pointer === "") return [];
  if (!pointer.startsWith("/")) throw new PatchError(`bad pointer ${JSON.stringify(pointer)}`);
  return pointer.slice(1).split("/").map((token) => token.replaceAll("~1", "/").replaceAll("~0", "~"));
}

function get(document, tokens) {
  let node = document;
  for (const token of tokens) {
    node = child(node, token);
  }
  return node;
}

function child(node, token) {
  if (Array.isArray(node)) {
    const index = arrayIndex(node, token, false);
    return node[index];
  }
  if (isObject(node) && Object.hasOwn(node, token)) return node[token];
  throw new PatchError(`no member ${JSON.stringify(token)}`);
}

function add(document, tokens, value) {
  if (tokens.length === 0) return value;
  const parent = get(document, tokens.slice(0, -1));
  const last = tokens[tokens.length - 1];
  if (Array.isArray(parent)) {
    parent.splice(arrayIndex(parent, last, true), 0, value);
  } else if (isObject(parent)) {
    parent[last] = value;
  } else {
    throw new PatchError(`cannot add ${JSON.stringify(last)} to a ${typeof parent}`);
  }
  return document;
}

function remove(document, tokens) {
  if (tokens.length === 0) return undefined;
  const parent = get(document, tokens.slice(0, -1));
  const last = tokens[tokens.length - 1];
  if (Array.isArray(parent)) {
    parent.splice(arrayIndex(parent, last, false), 1);
  } else if (isObject(parent) && Object.hasOwn(parent, last)) {
    delete parent[last];
  } else {
    throw new PatchError(`no member ${JSON.stringify(last)} to remove`);
  }
  return document;
}

function arrayIndex(array, token, forInsert) {
  if (forInsert && token === "-") return array.length;
  if (!/^(0|[1-9][0-9]*)$/.test(token)) throw new PatchError(`bad array index ${JSON.stringify(token)}`);
  const index = Number(token);
  if (index > array.length || (!forInsert && index === array.length)) {
    throw new PatchError(`array index ${index} out of range`);
  }
  return index;
}

function isObject(value) {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function equal(a, b) {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, index) => equal(item, b[index]));
  }
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((key) => Object.hasOwn(b, key) && equal(a[key], b[key]));
  }
  return false;
}
