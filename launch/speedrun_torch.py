#!/usr/bin/python3
"""launch/speedrun_torch.py --config CONFIG [--seed S] [--set KEY=VALUE ...] [--data DIR]

The PyTorch side of launch/speedrun: trains a dtrain run config's recipe in PyTorch DDP (gloo, CPU,
one thread per rank) and scores the test set once at the end. Start it under torch.distributed.run:

  OMP_NUM_THREADS=1 /usr/bin/python3 -m torch.distributed.run --standalone --redirects 1 --tee 1 \
      --nproc_per_node=2 launch/speedrun_torch.py --config configs/speedrun.yaml --seed 1

Same recipe as dtrain: the network is built from the config's model spec by torch_checkpoint.py's
DtrainNet (dtrain's layer names; PyTorch's default initialisation, which is dtrain's `pytorch`
preset); train.batch_size per rank, every rank a contiguous slice of each global batch of one
shared per-epoch permutation, the last incomplete global batch dropped; train.optimizer (sgd with
momentum/nesterov, adam, adamw; betas, eps, weight_decay), train.schedule constant or onecycle
(torch's OneCycleLR over epochs x steps per epoch with the config's pct_start, div_factor,
final_div_factor, cycle_momentum), train.label_smoothing, train.epochs, train.max_steps; pixels
p / 255, then data.normalize when given; data.validation images at the end of the training set
are held out as dtrain does. The permutation comes from torch's generator, so the batches are not
dtrain's: same recipe, not the same bits.

Timing: train_seconds is the training loop only (barrier, every step including its batch gather,
barrier), as dtrain's epoch_seconds. The last line printed by rank 0 is `JSON {...}` with
test_accuracy (percent), train_seconds, steps, seed, world_size and torch's version.
Needs torch and PyYAML (Debian: python3-torch, python3-yaml). Bad arguments exit 2.
"""
import argparse
import gzip
import json
import os
import sys
import time

import torch
import torch.distributed as dist
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_checkpoint import DtrainNet, SpecError, as_bool, as_float, as_int, load_yaml, normalization, pixel_table  # noqa: E402

SUPPORTED_TRAIN_KEYS = {"epochs", "batch_size", "lr", "momentum", "nesterov", "weight_decay", "schedule", "optimizer",
                        "betas", "eps", "label_smoothing", "max_steps", "eval_every", "allreduce", "eval_batch"}


def read_config(path, overrides):
    """The run config as dtrain reads it (strings), with --set overrides applied and the model inlined."""
    with open(path) as f:
        config = load_yaml(f.read(), path)
    for item in overrides:
        if "=" not in item:
            raise SpecError("--set %s: expected KEY=VALUE" % item)
        key, value = item.split("=", 1)
        node, parts = config, key.split(".")
        for p in parts[:-1]:
            node = node.setdefault(p, {})
        node[parts[-1]] = load_yaml(value, "--set " + key)
    if isinstance(config.get("model"), str):
        model_path = os.path.join(os.path.dirname(path), config["model"])
        with open(model_path) as f:
            config["model"] = load_yaml(f.read(), model_path)
    return config


def read_idx(directory, name):
    for candidate in (name, name + ".gz"):
        path = os.path.join(directory, candidate)
        if os.path.exists(path):
            opener = gzip.open if path.endswith(".gz") else open
            with opener(path, "rb") as f:
                raw = f.read()
            ndim = raw[3]
            dims = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
            return torch.frombuffer(bytearray(raw[4 + 4 * ndim:]), dtype=torch.uint8).reshape(dims)
    raise SpecError("%s: no %s(.gz)" % (directory, name))


def make_optimizer(train, params):
    kind = train.get("optimizer", "sgd")
    lr = as_float(train.get("lr", "0.05"), "train.lr")
    wd = as_float(train.get("weight_decay", "0.0005"), "train.weight_decay")
    if kind == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=as_float(train.get("momentum", "0.9"), "train.momentum"),
                               nesterov=as_bool(train.get("nesterov", "false"), "train.nesterov"), weight_decay=wd)
    betas = tuple(as_float(b, "train.betas") for b in train.get("betas", ["0.9", "0.999"]))
    eps = as_float(train.get("eps", "1e-8"), "train.eps")
    if kind == "adam":
        return torch.optim.Adam(params, lr=lr, betas=betas, eps=eps, weight_decay=wd)
    if kind == "adamw":
        return torch.optim.AdamW(params, lr=lr, betas=betas, eps=eps, weight_decay=wd)
    raise SpecError("train.optimizer: '%s' (expected sgd, adam or adamw)" % kind)


def make_schedule(train, optimizer, total_steps):
    schedule = train.get("schedule", "constant")
    if schedule == "constant":
        return None
    if schedule == "onecycle" or (isinstance(schedule, dict) and "onecycle" in schedule):
        c = (schedule.get("onecycle") if isinstance(schedule, dict) else None) or {}
        return torch.optim.lr_scheduler.OneCycleLR(
            optimizer, max_lr=as_float(train.get("lr", "0.05"), "train.lr"), total_steps=total_steps,
            pct_start=as_float(c.get("pct_start", "0.3"), "pct_start"),
            div_factor=as_float(c.get("div_factor", "25"), "div_factor"),
            final_div_factor=as_float(c.get("final_div_factor", "1e4"), "final_div_factor"),
            cycle_momentum=as_bool(c.get("cycle_momentum", "false"), "cycle_momentum"),
            base_momentum=as_float(c.get("base_momentum", "0.85"), "base_momentum"),
            max_momentum=as_float(c.get("max_momentum", "0.95"), "max_momentum"))
    raise SpecError("train.schedule: %r is not supported here (constant or onecycle)" % (schedule,))


def main(argv):
    ap = argparse.ArgumentParser(prog="speedrun_torch.py")
    ap.add_argument("--config", required=True)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    ap.add_argument("--data", help="MNIST folder (default: the config's data.path)")
    a = ap.parse_args(argv)

    config = read_config(a.config, a.set)
    train, data = config.get("train") or {}, config.get("data") or {}
    unknown = sorted(set(train) - SUPPORTED_TRAIN_KEYS)
    if unknown:
        raise SpecError("train.%s: not supported by this script" % unknown[0])
    if data.get("augment") is not None or data.get("dataset", "mnist") != "mnist":
        raise SpecError("data: this script trains plain MNIST only (no data.augment)")
    seed = a.seed if a.seed is not None else as_int(config.get("seed", "42"), "seed")

    torch.set_num_threads(1)
    dist.init_process_group("gloo")
    rank, world = dist.get_rank(), dist.get_world_size()

    directory = a.data or data.get("path", "data/mnist")
    table = pixel_table(normalization(data), 1)[0]
    xtr = table[read_idx(directory, "train-images-idx3-ubyte").long()].unsqueeze(1).contiguous()
    ytr = read_idx(directory, "train-labels-idx1-ubyte").long()
    xte = table[read_idx(directory, "t10k-images-idx3-ubyte").long()].unsqueeze(1).contiguous()
    yte = read_idx(directory, "t10k-labels-idx1-ubyte").long()
    validation = as_int(data.get("validation", "5000"), "data.validation")
    train_count = len(xtr) - validation

    torch.manual_seed(seed)
    net = DtrainNet(config["model"])
    model = torch.nn.parallel.DistributedDataParallel(net)
    optimizer = make_optimizer(train, model.parameters())
    batch = as_int(train.get("batch_size", "64"), "train.batch_size")
    epochs = as_int(train.get("epochs", "5"), "train.epochs")
    steps_per_epoch = train_count // (batch * world)
    total = epochs * steps_per_epoch
    max_steps = train.get("max_steps")
    last_step = min(total, as_int(max_steps, "train.max_steps")) if max_steps is not None else total
    schedule = make_schedule(train, optimizer, total)
    smoothing = as_float(train.get("label_smoothing", "0"), "train.label_smoothing")

    step, train_seconds = 0, 0.0
    for epoch in range(1, epochs + 1):
        if step >= last_step:
            break
        g = torch.Generator()
        g.manual_seed(seed * 1000 + epoch)
        perm = torch.randperm(train_count, generator=g)
        model.train()
        dist.barrier()
        start = time.perf_counter()
        for k in range(steps_per_epoch):
            if step >= last_step:
                break
            lo = k * batch * world + rank * batch
            idx = perm[lo: lo + batch]
            xb, yb = xtr[idx], ytr[idx]
            optimizer.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(xb), yb, label_smoothing=smoothing)
            loss.backward()
            optimizer.step()
            if schedule is not None:
                schedule.step()
            step += 1
        dist.barrier()
        train_seconds += time.perf_counter() - start

    net.eval()
    lo, hi = rank * len(xte) // world, (rank + 1) * len(xte) // world
    counts = torch.zeros(2, dtype=torch.float64)
    with torch.no_grad():
        for s in range(lo, hi, 1000):
            e = min(s + 1000, hi)
            counts[0] += (net(xte[s:e]).argmax(1) == yte[s:e]).sum().item()
            counts[1] += e - s
    dist.all_reduce(counts)
    if rank == 0:
        print("JSON " + json.dumps(dict(test_accuracy=100.0 * counts[0].item() / counts[1].item(), train_seconds=train_seconds,
                                        steps=step, seed=seed, world_size=world, torch=torch.__version__)), flush=True)
    dist.destroy_process_group()
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except SpecError as e:
        sys.stderr.write("speedrun_torch.py: %s\n" % e)
        sys.exit(2)
