#!/usr/bin/python3
"""launch/torch_checkpoint.py CHECKPOINT [--data DIR] [--logits N] [--batch B]

Builds the network of a dtrain checkpoint in PyTorch and scores it on the MNIST test set.

The checkpoint (.safetensors) carries the resolved run config as YAML in its `__metadata__.config`;
its `model:` is the full inline spec (templates included). This script expands the templates and
names every layer exactly as dtrain does (DESIGN.md "Graph blocks": dot paths, per-path default
counters conv1/fc1/bn1/block1..., a residual's body directly under the block's name, its shortcut
under `<block>.shortcut`, branch paths under `<block>.branch<k>`), so the module tree's state_dict
keys are dtrain's tensor names (`layer2.shortcut.bn1.running_var`; a name with dots such as
`layer1.0` nests ModuleDicts keyed by the name's parts). It reads the safetensors file itself
(F32 and I64 tensors; `optimizer.*` state is skipped), loads it with load_state_dict(strict=True),
switches to eval() and:
  - scores the MNIST test set (t10k-images-idx3-ubyte(.gz), t10k-labels-idx1-ubyte(.gz) under
    --data, default: the config's data.path relative to the current folder), with pixels
    normalised as dtrain does (p / 255, then (v - mean) / std when data.normalize is set; in
    float32, as dtrain's 256-entry table);
  - with --logits N, also prints the logits of the first N test images.
Output: one JSON object on stdout: model, count, test_accuracy (percent), test_loss, and logits
(a list of lists) when asked. Errors (an unsupported layer or key, a missing or unexpected tensor,
missing data) go to stderr with exit status 1 (2 for bad arguments).

Requires Python 3 with torch and PyYAML (Debian: python3-torch, python3-yaml).
"""

import argparse
import gzip
import json
import math
import os
import re
import struct
import sys

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError:  # pragma: no cover
    sys.stderr.write("torch_checkpoint.py: PyTorch is not installed (apt-get install python3-torch)\n")
    sys.exit(3)
try:
    import yaml
except ImportError:  # pragma: no cover
    sys.stderr.write("torch_checkpoint.py: PyYAML is not installed (apt-get install python3-yaml)\n")
    sys.exit(3)


class SpecError(Exception):
    """An input problem, reported as one line on stderr."""


# ---------------------------------------------------------------------------------------------
# YAML as dtrain reads it: every scalar a string, plain null / ~ / empty as None (ConfigValue).

class _StringLoader(yaml.SafeLoader):
    pass


# drop every implicit type (bool, int, float, timestamp...) except null
_StringLoader.yaml_implicit_resolvers = {}
_StringLoader.add_implicit_resolver(
    "tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""])


def load_yaml(text, what):
    try:
        return yaml.load(text, Loader=_StringLoader)
    except yaml.YAMLError as e:
        raise SpecError("%s: not valid YAML: %s" % (what, str(e).splitlines()[0] if str(e) else e))


# ---------------------------------------------------------------------------------------------
# Scalars, as ConfigCursor reads them.

def _scalar(v, at, what):
    if not isinstance(v, str):
        raise SpecError("%s: expected %s" % (at, what))
    return v


def as_int(v, at):
    s = _scalar(v, at, "an integer").replace("_", "")
    try:
        return int(s)
    except ValueError:
        raise SpecError("%s: expected an integer, got '%s'" % (at, v))


def as_pos_int(v, at):
    n = as_int(v, at)
    if n <= 0:
        raise SpecError("%s: expected a positive integer, got %d" % (at, n))
    return n


def as_float(v, at):
    s = _scalar(v, at, "a number").replace("_", "")
    try:
        x = float(s)
    except ValueError:
        raise SpecError("%s: expected a number, got '%s'" % (at, v))
    if not math.isfinite(x):
        raise SpecError("%s: expected a finite number, got '%s'" % (at, v))
    return x


def as_bool(v, at):
    s = _scalar(v, at, "true or false").lower()
    if s in ("true", "yes", "on"):
        return True
    if s in ("false", "no", "off"):
        return False
    raise SpecError("%s: expected true or false, got '%s'" % (at, v))


def as_pair(v, at):
    if isinstance(v, list):
        if len(v) != 2:
            raise SpecError("%s: expected an integer or a list of two integers" % at)
        return (as_int(v[0], at + "[0]"), as_int(v[1], at + "[1]"))
    n = as_int(v, at)
    return (n, n)


def as_f32(x):
    """x rounded to float32, as dtrain's Float(double) does."""
    return struct.unpack("<f", struct.pack("<f", x))[0]


# ---------------------------------------------------------------------------------------------
# Spec parsing: templates expanded in place, as SpecParser.swift / BlockTemplate.swift.

LAYER_KINDS = ["conv", "linear", "maxpool", "avgpool", "relu", "sigmoid", "tanh", "flatten", "leakyrelu",
               "dropout", "lrn", "globalavgpool", "batchnorm", "branch", "residual"]
NAME_PREFIX = {"linear": "fc", "batchnorm": "bn", "branch": "block", "residual": "block"}
ALLOWED_KEYS = {
    "conv": ["name", "out", "kernel", "stride", "pad", "bias", "groups", "init"],
    "linear": ["name", "out", "bias", "init"],
    "maxpool": ["name", "kernel", "stride", "pad", "ceil"],
    "avgpool": ["name", "kernel", "stride", "pad"],
    "leakyrelu": ["name", "slope"],
    "dropout": ["name", "p"],
    "batchnorm": ["name", "eps", "momentum", "sync"],
    "branch": ["name", "paths"],
    "residual": ["name", "body", "shortcut"],
    "lrn": ["name", "size", "alpha", "beta", "k"],
}
_MISSING = object()


class Template(object):
    def __init__(self, name, params, block):
        self.name, self.params, self.block = name, params, block

    def instantiate(self, use, at):
        values, block_name = {}, _MISSING
        if use is not None:
            if not isinstance(use, dict):
                raise SpecError("%s: expected a map of template '%s' parameters: %s" % (at, self.name, ", ".join(self.params)))
            for k, v in use.items():
                if k == "name":
                    block_name = v
                    continue
                if k not in self.params:
                    raise SpecError("%s: template '%s' has no parameter '%s' (expected: %s)"
                                    % (at, self.name, k, ", ".join(self.params)))
                values[k] = v
        for p in self.params:
            if p not in values:
                raise SpecError("%s: template '%s' needs parameter '%s'" % (at, self.name, p))
        expanded = self._substitute(self.block, values, at)
        if block_name is not _MISSING and block_name is not None:
            expanded = self._named(expanded, block_name, at)
        return expanded

    def _substitute(self, v, values, at):
        if isinstance(v, str):
            if not v.startswith("$"):
                return v
            key = v[1:]
            if key not in values:
                raise SpecError("templates.%s: '%s' is not one of its params (%s), used at %s"
                                % (self.name, v, ", ".join(self.params), at))
            return values[key]
        if isinstance(v, list):
            return [self._substitute(x, values, at) for x in v]
        if isinstance(v, dict):
            return dict((k, self._substitute(x, values, at)) for k, x in v.items())
        return v

    def _named(self, v, name, at):
        if isinstance(v, dict) and len(v) == 1:
            kind, inner = next(iter(v.items()))
            if isinstance(inner, dict):
                rest = [(k, x) for k, x in inner.items() if k != "name"]
            elif inner is None:
                rest = []
            else:
                raise SpecError("templates.%s.block: expected {%s: {...}} to take the use's name (at %s)" % (self.name, kind, at))
            return {kind: dict([("name", name)] + rest)}
        if isinstance(v, str):
            return {v: {"name": name}}
        raise SpecError("templates.%s.block: expected one layer or block to take the use's name (at %s)" % (self.name, at))


def parse_templates(t):
    if t is None:
        return {}
    if not isinstance(t, dict):
        raise SpecError("model.templates: expected a map of template names to {params, block}")
    out = {}
    for name, body in t.items():
        if name in LAYER_KINDS:
            raise SpecError("model.templates.%s: a template name must not be a layer kind" % name)
        if not isinstance(body, dict):
            raise SpecError("model.templates.%s: expected {params, block}" % name)
        for k in body:
            if k not in ("params", "block"):
                raise SpecError("model.templates.%s: unknown key '%s' (expected one of: params, block)" % (name, k))
        params = body.get("params") or []
        if not isinstance(params, list) or not all(isinstance(p, str) for p in params):
            raise SpecError("model.templates.%s.params: expected a list of names" % name)
        if "block" not in body or body["block"] is None:
            raise SpecError("model.templates.%s.block: missing (required)" % name)
        out[name] = Template(name, params, body["block"])
    return out


class Layer(object):
    """One parsed layer or block: kind, own name (or None), options; blocks hold paths."""

    def __init__(self, kind, name, opts):
        self.kind, self.name, self.opts = kind, name, opts


class Parser(object):
    MAX_LAYERS = 100000

    def __init__(self, templates):
        self.templates, self.stack, self.parsed = templates, [], 0

    def path(self, v, at):
        if not isinstance(v, list) or not v:
            raise SpecError("%s: expected a non-empty list of layers" % at)
        return [self.layer(x, "%s[%d]" % (at, i)) for i, x in enumerate(v)]

    def layer(self, v, at):
        self.parsed += 1
        if self.parsed > self.MAX_LAYERS:
            raise SpecError("%s: more than %d layers after expanding templates" % (at, self.MAX_LAYERS))
        if isinstance(v, str):
            kind, params = v, None
        elif isinstance(v, dict) and len(v) == 1:
            kind, params = next(iter(v.items()))
        else:
            raise SpecError("%s: expected a layer: a kind word (relu) or a one-key map ({conv: {out: 6, kernel: 5}})" % at)
        if kind in self.templates:
            t = self.templates[kind]
            if kind in self.stack:
                raise SpecError("%s: cyclic template use: %s" % (at, " -> ".join(self.stack + [kind])))
            self.stack.append(kind)
            try:
                return self.layer(t.instantiate(params, at), at)
            finally:
                self.stack.pop()
        if kind not in LAYER_KINDS:
            raise SpecError("%s: unsupported layer kind '%s' (this script knows: %s%s)"
                            % (at, kind, ", ".join(LAYER_KINDS),
                               "; templates: " + ", ".join(sorted(self.templates)) if self.templates else ""))
        m = {}
        if params is not None:
            if not isinstance(params, dict):
                raise SpecError("%s.%s: expected a map of keys: %s" % (at, kind, ", ".join(ALLOWED_KEYS.get(kind, ["name"]))))
            allowed = ALLOWED_KEYS.get(kind, ["name"])
            for k in params:
                if k not in allowed:
                    raise SpecError("%s.%s: unsupported key '%s' (expected one of: %s)" % (at, kind, k, ", ".join(allowed)))
            m = dict((k, x) for k, x in params.items() if x is not None)
        a = "%s.%s" % (at, kind)
        name = _scalar(m["name"], a + ".name", "a string") if "name" in m else None

        def req(key):
            if key not in m:
                raise SpecError("%s.%s: missing (required)" % (a, key))
            return m[key]

        o = {}
        if kind == "conv":
            o["out"] = as_pos_int(req("out"), a + ".out")
            o["kernel"] = as_pair(req("kernel"), a + ".kernel")
            o["stride"] = as_pair(m["stride"], a + ".stride") if "stride" in m else (1, 1)
            o["pad"] = as_pair(m["pad"], a + ".pad") if "pad" in m else (0, 0)
            o["bias"] = as_bool(m["bias"], a + ".bias") if "bias" in m else True
            o["groups"] = as_pos_int(m["groups"], a + ".groups") if "groups" in m else 1
            self._check_window(o, a)
        elif kind == "linear":
            o["out"] = as_pos_int(req("out"), a + ".out")
            o["bias"] = as_bool(m["bias"], a + ".bias") if "bias" in m else True
        elif kind in ("maxpool", "avgpool"):
            o["kernel"] = as_pair(req("kernel"), a + ".kernel")
            o["stride"] = as_pair(m["stride"], a + ".stride") if "stride" in m else o["kernel"]
            o["pad"] = as_pair(m["pad"], a + ".pad") if "pad" in m else (0, 0)
            o["ceil"] = as_bool(m["ceil"], a + ".ceil") if "ceil" in m else False
            self._check_window(o, a)
        elif kind == "leakyrelu":
            o["slope"] = as_f32(as_float(m["slope"], a + ".slope")) if "slope" in m else as_f32(0.01)
        elif kind == "dropout":
            o["p"] = as_float(m["p"], a + ".p") if "p" in m else 0.5
            if not 0 <= o["p"] < 1:
                raise SpecError("%s.p: expected a probability in [0, 1)" % a)
        elif kind == "batchnorm":
            o["eps"] = as_f32(as_float(m["eps"], a + ".eps")) if "eps" in m else as_f32(1e-5)
            if o["eps"] <= 0:
                raise SpecError("%s.eps: expected a positive eps" % a)
            o["momentum"] = as_float(m["momentum"], a + ".momentum") if "momentum" in m else 0.1
            if "sync" in m:
                as_bool(m["sync"], a + ".sync")
        elif kind == "lrn":
            o["size"] = as_pos_int(m["size"], a + ".size") if "size" in m else 5
            o["alpha"] = as_f32(as_float(m["alpha"], a + ".alpha")) if "alpha" in m else as_f32(1e-4)
            o["beta"] = as_f32(as_float(m["beta"], a + ".beta")) if "beta" in m else as_f32(0.75)
            o["k"] = as_f32(as_float(m["k"], a + ".k")) if "k" in m else as_f32(2.0)
        elif kind == "branch":
            paths = req("paths")
            if not isinstance(paths, list) or not paths:
                raise SpecError("%s.paths: expected at least one path" % a)
            o["paths"] = [self.path(p, "%s.paths[%d]" % (a, i)) for i, p in enumerate(paths)]
        elif kind == "residual":
            o["body"] = self.path(req("body"), a + ".body")
            o["shortcut"] = self.path(m["shortcut"], a + ".shortcut") if "shortcut" in m else None
        return Layer(kind, name, o)

    @staticmethod
    def _check_window(o, a):
        k, s, p = o["kernel"], o["stride"], o["pad"]
        if k[0] <= 0 or k[1] <= 0:
            raise SpecError("%s.kernel: expected a positive kernel size" % a)
        if s[0] <= 0 or s[1] <= 0:
            raise SpecError("%s.stride: expected a positive stride" % a)
        if p[0] < 0 or p[1] < 0:
            raise SpecError("%s.pad: expected a padding >= 0" % a)


# ---------------------------------------------------------------------------------------------
# Planning: names (GraphPlanner.swift), shapes, modules placed in a tree of ModuleDicts.

def window_output(n, k, s, p, ceil):
    span = n + 2 * p - k
    if span < 0:
        return 0
    if not ceil:
        return span // s + 1
    out = (span + s - 1) // s + 1
    if (out - 1) * s >= n + p:
        out -= 1
    return out


class Shape(object):
    def __init__(self, c, h=1, w=1, flat=False):
        self.c, self.h, self.w, self.flat = c, h, w, flat

    @property
    def count(self):
        return self.c * self.h * self.w

    def __eq__(self, o):
        return (self.c, self.h, self.w, self.flat) == (o.c, o.h, o.w, o.flat)

    def __ne__(self, o):
        return not self == o

    def __repr__(self):
        return "[%d]" % self.c if self.flat else "[%d, %d, %d]" % (self.c, self.h, self.w)


class Planner(object):
    def __init__(self, root):
        self.root = root          # the nn.Module whose tree holds every parametrised layer
        self.names = set()

    def place(self, name, module):
        """Registers `module` at dot path `name` (ModuleDicts keyed by the name's parts)."""
        parts = name.split(".")
        if any(p == "" for p in parts):
            raise SpecError("layer name '%s': an empty part between dots cannot name a PyTorch module" % name)
        node = self.root
        for part in parts[:-1]:
            child = node._modules.get(part)
            if child is None:
                child = nn.ModuleDict()
                node._modules[part] = child
            node = child
        last = parts[-1]
        old = node._modules.get(last)
        if old is not None:          # a container made earlier for deeper names: keep its children
            for k, v in old._modules.items():
                module._modules[k] = v
        node._modules[last] = module
        return module

    def plan(self, items, shape, scope, at):
        counters, ops = {}, []
        for i, item in enumerate(items):
            prefix = NAME_PREFIX.get(item.kind, item.kind)
            counters[prefix] = counters.get(prefix, 0) + 1
            own = item.name if item.name is not None else "%s%d" % (prefix, counters[prefix])
            name = own if scope == "" else "%s.%s" % (scope, own)
            loc = "%s[%d] (%s)" % (at, i, name)
            if name in self.names:
                raise SpecError("%s: the name '%s' is used twice" % (loc, name))
            self.names.add(name)
            if item.kind == "branch":
                ends = []
                for k, p in enumerate(item.opts["paths"]):
                    ends.append(self.plan(p, shape, "%s.branch%d" % (name, k + 1), "%s.branch%d" % (loc, k + 1)))
                first = ends[0][1]
                for k, (_, s) in enumerate(ends):
                    if s.flat != first.flat or s.h != first.h or s.w != first.w:
                        raise SpecError("%s: branch%d gives %r but branch1 gives %r: concatenation needs the same height and width"
                                        % (loc, k + 1, s, first))
                c = sum(s.c for _, s in ends)
                shape = Shape(c, flat=True) if first.flat else Shape(c, first.h, first.w)
                ops.append(("branch", [o for o, _ in ends]))
            elif item.kind == "residual":
                body, out = self.plan(item.opts["body"], shape, name, loc + ".body")
                short, side = None, shape
                if item.opts["shortcut"] is not None:
                    short, side = self.plan(item.opts["shortcut"], shape, name + ".shortcut", loc + ".shortcut")
                if out != side:
                    raise SpecError("%s: the body gives %r but the shortcut gives %r: a residual adds equal shapes" % (loc, out, side))
                shape = out
                ops.append(("residual", body, short))
            else:
                op, shape = self.layer(item, shape, name, loc)
                ops.append(op)
        return ops, shape

    def layer(self, item, shape, name, loc):
        kind, o = item.kind, item.opts

        def spatial():
            if shape.flat:
                raise SpecError("%s: %s needs a [C, H, W] input, got %r (after flatten)" % (loc, kind, shape))

        def window(pool, ceil=False):
            spatial()
            k, s, p = o["kernel"], o["stride"], o["pad"]
            if pool and (2 * p[0] > k[0] or 2 * p[1] > k[1]):
                raise SpecError("%s: pad must be at most half the kernel" % loc)
            if k[0] > shape.h + 2 * p[0] or k[1] > shape.w + 2 * p[1]:
                raise SpecError("%s: kernel %dx%d is larger than its padded input (input %r)" % (loc, k[0], k[1], shape))
            oh = window_output(shape.h, k[0], s[0], p[0], ceil)
            ow = window_output(shape.w, k[1], s[1], p[1], ceil)
            if oh < 1 or ow < 1:
                raise SpecError("%s: output size %dx%d < 1 from input %r" % (loc, oh, ow, shape))
            return oh, ow

        if kind == "conv":
            oh, ow = window(False)
            g = o["groups"]
            if shape.c % g or o["out"] % g:
                raise SpecError("%s: groups %d must divide the input channels (%d) and the output channels (%d)"
                                % (loc, g, shape.c, o["out"]))
            m = self.place(name, nn.Conv2d(shape.c, o["out"], o["kernel"], stride=o["stride"], padding=o["pad"],
                                           groups=g, bias=o["bias"]))
            return ("conv", m), Shape(o["out"], oh, ow)
        if kind == "linear":
            if not (shape.flat or (shape.h == 1 and shape.w == 1)):
                raise SpecError("%s: linear needs a flat input, got %r: put flatten before it" % (loc, shape))
            m = self.place(name, nn.Linear(shape.count, o["out"], bias=o["bias"]))
            return ("linear", m), Shape(o["out"], flat=True)
        if kind == "maxpool":
            oh, ow = window(True, o["ceil"])
            return ("maxpool", o["kernel"], o["stride"], o["pad"], o["ceil"]), Shape(shape.c, oh, ow)
        if kind == "avgpool":
            oh, ow = window(True)
            return ("avgpool", o["kernel"], o["stride"], o["pad"]), Shape(shape.c, oh, ow)
        if kind == "globalavgpool":
            spatial()
            return ("globalavgpool",), Shape(shape.c, 1, 1)
        if kind == "flatten":
            return ("flatten",), Shape(shape.count, flat=True)
        if kind == "batchnorm":
            cls = nn.BatchNorm1d if shape.flat else nn.BatchNorm2d
            m = self.place(name, cls(shape.c, eps=o["eps"], momentum=o["momentum"]))
            return ("batchnorm", m), shape
        if kind == "lrn":
            spatial()
            return ("lrn", o["size"], o["alpha"], o["beta"], o["k"]), shape
        if kind == "relu":
            return ("relu",), shape
        if kind == "sigmoid":
            return ("sigmoid",), shape
        if kind == "tanh":
            return ("tanh",), shape
        if kind == "leakyrelu":
            return ("leakyrelu", o["slope"]), shape
        if kind == "dropout":
            return ("dropout", o["p"]), shape
        raise SpecError("%s: unsupported layer kind '%s'" % (loc, kind))


def run_ops(ops, x, training):
    for op in ops:
        k = op[0]
        if k == "conv":
            x = op[1](x)
        elif k == "linear":
            if x.dim() != 2:
                x = x.reshape(x.shape[0], -1)
            x = op[1](x)
        elif k == "batchnorm":
            x = op[1](x)
        elif k == "maxpool":
            x = F.max_pool2d(x, op[1], op[2], op[3], ceil_mode=op[4])
        elif k == "avgpool":
            x = F.avg_pool2d(x, op[1], op[2], op[3], ceil_mode=False, count_include_pad=True)
        elif k == "globalavgpool":
            x = x.mean(dim=(2, 3), keepdim=True)
        elif k == "flatten":
            x = torch.flatten(x, 1)
        elif k == "lrn":
            x = F.local_response_norm(x, op[1], alpha=op[2], beta=op[3], k=op[4])
        elif k == "relu":
            x = F.relu(x)
        elif k == "sigmoid":
            x = torch.sigmoid(x)
        elif k == "tanh":
            x = torch.tanh(x)
        elif k == "leakyrelu":
            x = F.leaky_relu(x, op[1])
        elif k == "dropout":
            x = F.dropout(x, op[1], training=training)
        elif k == "branch":
            x = torch.cat([run_ops(p, x, training) for p in op[1]], dim=1)
        elif k == "residual":
            body = run_ops(op[1], x, training)
            x = body + (run_ops(op[2], x, training) if op[2] is not None else x)
        else:
            raise SpecError("internal: unknown op %r" % (k,))
    return x


class DtrainNet(nn.Module):
    """dtrain's network: parametrised layers registered under their dtrain names."""

    def __init__(self, spec):
        super(DtrainNet, self).__init__()
        if not isinstance(spec, dict):
            raise SpecError("model: expected an inline spec map (name, input, init, templates, layers)")
        for k in spec:
            if k not in ("name", "input", "init", "templates", "layers"):
                raise SpecError("model: unknown key '%s' (expected one of: name, input, init, templates, layers)" % k)
        dims = spec.get("input")
        if not isinstance(dims, list) or len(dims) != 3:
            raise SpecError("model.input: expected [C, H, W]")
        self.model_name = spec.get("name") if isinstance(spec.get("name"), str) else "model"
        self.input_shape = tuple(as_pos_int(d, "model.input") for d in dims)
        layers = spec.get("layers")
        if not isinstance(layers, list) or not layers:
            raise SpecError("model.layers: expected at least one layer")
        parser = Parser(parse_templates(spec.get("templates")))
        items = [parser.layer(v, "layers[%d]" % i) for i, v in enumerate(layers)]
        planner = Planner(self)
        shape = Shape(*self.input_shape)
        self.ops, self.output_shape = planner.plan(items, shape, "", "layers")
        self.layer_names = planner.names

    def forward(self, x):
        y = run_ops(self.ops, x, self.training)
        return y.reshape(y.shape[0], -1)


# ---------------------------------------------------------------------------------------------
# safetensors

DTYPES = {"F32": torch.float32, "I64": torch.int64, "F64": torch.float64, "I32": torch.int32}


def read_safetensors(path):
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise SpecError("%s: cannot read (%s)" % (path, e.strerror))
    if len(data) < 8:
        raise SpecError("%s: not a safetensors file (shorter than its 8-byte header length)" % path)
    (n,) = struct.unpack("<Q", data[:8])
    if n > len(data) - 8:
        raise SpecError("%s: header length %d runs past the end of the file" % (path, n))
    try:
        header = json.loads(data[8:8 + n].decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise SpecError("%s: header is not JSON (%s)" % (path, e))
    if sys.byteorder != "little":
        raise SpecError("this script reads safetensors on little-endian machines only")
    meta = header.pop("__metadata__", None) or {}
    base = 8 + n
    tensors = {}
    for name, e in header.items():
        dtype = DTYPES.get(e.get("dtype"))
        if dtype is None:
            raise SpecError("%s: tensor '%s' has dtype %r (this script reads F32 and I64)" % (path, name, e.get("dtype")))
        shape = [int(d) for d in e["shape"]]
        begin, end = e["data_offsets"]
        count = 1
        for d in shape:
            count *= d
        size = torch.tensor([], dtype=dtype).element_size()
        if end - begin != count * size or base + end > len(data):
            raise SpecError("%s: tensor '%s': data_offsets %r do not fit its shape %r" % (path, name, [begin, end], shape))
        buf = bytearray(data[base + begin:base + end])
        t = torch.frombuffer(buf, dtype=dtype) if count > 0 else torch.empty(0, dtype=dtype)
        tensors[name] = t.reshape(shape).clone()
    return meta, tensors


# ---------------------------------------------------------------------------------------------
# MNIST test set

def read_idx(directory, name, dims):
    base = os.path.join(directory, name)
    for path in (base + ".gz", base):
        if os.path.exists(path):
            break
    else:
        raise SpecError("%s(.gz): file not found: expected MNIST IDX data, gzipped or raw" % base)
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    if len(raw) < 4 + 4 * dims or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08 or raw[3] != dims:
        raise SpecError("%s: not an IDX file of unsigned bytes with %d dimensions" % (path, dims))
    shape = list(struct.unpack(">" + "I" * dims, raw[4:4 + 4 * dims]))
    count = 1
    for d in shape:
        count *= d
    payload = raw[4 + 4 * dims:]
    if len(payload) != count:
        raise SpecError("%s: %d payload bytes, expected %d for shape %r" % (path, len(payload), count, shape))
    return torch.frombuffer(bytearray(payload), dtype=torch.uint8).reshape(shape), path


def normalization(data):
    """(mean, std) float32 lists as dtrain's data.normalize, or None (pixels / 255 only)."""
    n = (data or {}).get("normalize")
    if n is None:
        return None
    if not isinstance(n, dict) or "mean" not in n or "std" not in n:
        raise SpecError("data.normalize: expected {mean, std}")

    def values(v, key):
        items = v if isinstance(v, list) else [v]
        return [as_f32(as_float(x, "data.normalize." + key)) for x in items]
    return values(n["mean"], "mean"), values(n["std"], "std")


def pixel_table(norm, channels):
    """Per channel, the 256 float32 values dtrain's BatchGather table holds: p / 255, then (v - mean) / std."""
    v = torch.arange(256, dtype=torch.float32) / torch.tensor(255, dtype=torch.float32)
    if norm is None:
        return v.unsqueeze(0).expand(channels, 256)
    mean, std = norm
    if len(mean) not in (1, channels) or len(std) not in (1, channels):
        raise SpecError("data.normalize: expected 1 or %d values for mean and std" % channels)
    rows = []
    for c in range(channels):
        m = torch.tensor(mean[c if len(mean) > 1 else 0], dtype=torch.float32)
        s = torch.tensor(std[c if len(std) > 1 else 0], dtype=torch.float32)
        rows.append((v - m) / s)
    return torch.stack(rows)


# ---------------------------------------------------------------------------------------------

def main(argv):
    ap = argparse.ArgumentParser(prog="torch_checkpoint.py",
                                 description="Load a dtrain checkpoint into PyTorch and score the MNIST test set.")
    ap.add_argument("checkpoint", help="a dtrain .safetensors checkpoint")
    ap.add_argument("--data", help="folder with t10k-images-idx3-ubyte(.gz) and t10k-labels-idx1-ubyte(.gz) "
                                   "(default: the checkpoint config's data.path, relative to the current folder)")
    ap.add_argument("--logits", type=int, default=0, metavar="N", help="also print the logits of the first N test images")
    ap.add_argument("--batch", type=int, default=500, help="images per forward pass (default 500)")
    ap.add_argument("--threads", type=int, default=0, help="torch intra-op threads (default: torch's)")
    args = ap.parse_args(argv)
    if args.logits < 0 or args.batch <= 0:
        ap.error("--logits must be >= 0 and --batch > 0")
    if args.threads > 0:
        torch.set_num_threads(args.threads)

    meta, tensors = read_safetensors(args.checkpoint)
    if "config" not in meta:
        raise SpecError("%s: no __metadata__.config (not a dtrain checkpoint?)" % args.checkpoint)
    config = load_yaml(meta["config"], args.checkpoint + " (saved config)")
    if not isinstance(config, dict):
        raise SpecError("%s: the saved config is not a map" % args.checkpoint)
    spec = config.get("model")
    if isinstance(spec, str):          # a path (dtrain inlines the spec when it saves; kept for hand-made files)
        with open(spec) as f:
            spec = load_yaml(f.read(), spec)
    data = config.get("data") or {}
    dataset = data.get("dataset", "mnist")
    if dataset != "mnist":
        raise SpecError("data.dataset '%s': this script reads the MNIST test set only" % dataset)

    net = DtrainNet(spec)
    expected = set(net.state_dict().keys())
    state = {}
    for name, t in tensors.items():
        if name.startswith("optimizer.") and name not in expected:
            continue                    # optimiser state (momentum, exp_avg, exp_avg_sq)
        state[name] = t
    try:
        net.load_state_dict(state, strict=True)
    except RuntimeError as e:
        raise SpecError("%s: load_state_dict(strict=True) failed: %s" % (args.checkpoint, " ".join(str(e).split())))
    net.eval()

    directory = args.data if args.data is not None else data.get("path", "data/mnist")
    images, images_path = read_idx(directory, "t10k-images-idx3-ubyte", 3)
    labels, labels_path = read_idx(directory, "t10k-labels-idx1-ubyte", 1)
    if images.shape[0] != labels.shape[0]:
        raise SpecError("%s has %d images but %s has %d labels" % (images_path, images.shape[0], labels_path, labels.shape[0]))
    c, h, w = net.input_shape
    if (c, h, w) != (1, images.shape[1], images.shape[2]):
        raise SpecError("%s: images are 1x%dx%d but the model expects %dx%dx%d"
                        % (images_path, images.shape[1], images.shape[2], c, h, w))
    table = pixel_table(normalization(data), c)[0]
    labels = labels.long()
    outputs = net.output_shape.count
    positive = data.get("positive_class")
    if outputs == 1:
        if positive is None:
            raise SpecError("a 1-output model needs data.positive_class")
        positive = as_int(positive, "data.positive_class")
        targets = (labels == positive).long()
    else:
        targets = labels

    count, correct, loss_sum, logits_out = images.shape[0], 0, 0.0, []
    with torch.no_grad():
        for start in range(0, count, args.batch):
            end = min(start + args.batch, count)
            x = table[images[start:end].long()].reshape(end - start, c, h, w)
            z = net(x)
            if z.shape[1] != outputs:
                raise SpecError("internal: the network gave %d outputs, expected %d" % (z.shape[1], outputs))
            t = targets[start:end]
            if outputs == 1:
                v = z[:, 0]
                correct += int(((v > 0).long() == t).sum())
                loss_sum += float(F.binary_cross_entropy_with_logits(v.double(), t.double(), reduction="sum"))
            else:
                # first maximum wins, as dtrain's LossFunction (row[j] > max)
                first = _first_max(z)
                correct += int((first == t).sum())
                loss_sum += float(F.cross_entropy(z.double(), t, reduction="sum"))
            if len(logits_out) < args.logits:
                logits_out.extend(z[:args.logits - len(logits_out)].tolist())
    result = {
        "checkpoint": args.checkpoint,
        "model": net.model_name,
        "count": count,
        "test_accuracy": 100.0 * correct / count if count else 0.0,
        "test_loss": loss_sum / count if count else 0.0,
    }
    if args.logits:
        result["logits"] = logits_out
    print(json.dumps(result))
    return 0


def _first_max(z):
    idx = torch.zeros(z.shape[0], dtype=torch.long)
    best = z[:, 0].clone()
    for j in range(1, z.shape[1]):
        better = z[:, j] > best
        best = torch.where(better, z[:, j], best)
        idx = torch.where(better, torch.full_like(idx, j), idx)
    return idx


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except SpecError as e:
        sys.stderr.write("torch_checkpoint.py: %s\n" % e)
        sys.exit(1)
