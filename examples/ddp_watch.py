"""Many processes, one dashboard: DistributedDataParallel on CPU (gloo), watched from rank 0 only.

Run it:
    gradcast serve                                             # in another terminal
    torchrun --nproc_per_node 2 examples/ddp_watch.py          # --url http://HOST:PORT, --steps N
Every rank calls watch() and run.step(); only rank 0 reads and sends. It reads the gradients after backward(),
when DDP has already all-reduced (averaged) them, so the numbers are those of the whole global batch.
"""

import argparse
import json
import os

import torch
import torch.distributed as dist
from sklearn.datasets import load_digits
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from gradcast import watch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--url", default=None, help="dashboard (default $GRADCAST_URL or http://127.0.0.1:8000)"
    )
    parser.add_argument("--name", default="digits-ddp")
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--batch-size", type=int, default=32, help="per rank")
    parser.add_argument(
        "--dump", default=None, help="directory: each rank writes rank<N>.jsonl of its own grad norms"
    )
    args = parser.parse_args()

    torch.set_num_threads(1)
    dist.init_process_group("gloo")  # torchrun sets RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT
    rank, world = dist.get_rank(), dist.get_world_size()
    torch.manual_seed(0)  # same initial weights everywhere (DDP also broadcasts rank 0's)

    data = load_digits()
    x = torch.tensor(data.data, dtype=torch.float32) / 16.0  # (1797, 64)
    y = torch.tensor(data.target, dtype=torch.int64)
    x, y = x[rank::world], y[rank::world]  # this rank's shard
    model = DistributedDataParallel(
        nn.Sequential(nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, 32), nn.Tanh(), nn.Linear(32, 10))
    )
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    generator = torch.Generator().manual_seed(rank)
    dump = open(os.path.join(args.dump, f"rank{rank}.jsonl"), "w") if args.dump else None  # noqa: SIM115

    with watch(model, url=args.url, name=args.name) as run:  # a no-op on ranks > 0
        for _ in range(args.steps):
            batch = torch.randint(0, len(y), (args.batch_size,), generator=generator)
            loss = nn.functional.cross_entropy(model(x[batch]), y[batch])
            loss.backward()  # DDP all-reduces the gradients here
            run.step(loss=loss.item())  # rank 0's loss (its own batch), everyone's averaged gradients
            if dump:
                grads = {n: p.grad.double().norm().item() for n, p in model.module.named_parameters()}
                dump.write(json.dumps({"step": run.steps, "loss": loss.item(), "grads": grads}) + "\n")
            optimizer.step()
            optimizer.zero_grad()
    if dump:
        dump.close()
    print(f"rank={rank} steps={run.steps} sent={run.sent} dropped={run.dropped} run_id={run.id}", flush=True)
    dist.barrier()  # rank 0 may still be sending its last steps: leave together
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
