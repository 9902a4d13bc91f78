"""Which modules of a model are layers, and their gradient norms per step in one fused call on the device."""

import math
from dataclasses import dataclass

import torch
from torch import nn

from gradcast.deferred import Deferred

# Wrappers whose `.module` / `._orig_mod` is the real model: their names would all start with "module.".
_WRAPPERS: tuple[type, ...] = (nn.parallel.DistributedDataParallel, nn.DataParallel)
_LOW_PRECISION = (torch.float16, torch.bfloat16)
ROOT_NAME = "root"  # name of the model itself when it owns parameters directly (named_modules says "")


@dataclass(frozen=True, slots=True)
class Layer:
    """A module that owns trainable parameters directly (recurse=False)."""

    name: str  # qualified module name, e.g. "features.0"; the dashboard's legend key
    kind: str  # module class name, e.g. "Conv2d"
    first: int  # index of its first parameter in the model-wide flat list
    count: int  # how many direct trainable parameters it owns
    weight: int | None  # flat index of its `weight`; None: weight_grad_norm is the norm over all its params
    bias: int | None  # flat index of its `bias`; None: it has none


def unwrap(model: nn.Module) -> nn.Module:
    """The model inside DDP / DataParallel / torch.compile wrappers, so layer names are the user's own."""
    while True:
        inner = model.module if isinstance(model, _WRAPPERS) else getattr(model, "_orig_mod", None)
        if not isinstance(inner, nn.Module):
            return model
        model = inner


def find_layers(model: nn.Module) -> tuple[list[Layer], list[nn.Parameter], list[nn.Module]]:
    """Layers in named_modules order (input -> output as the model declares them), the flat parameter list, and
    the module of each layer."""
    layers: list[Layer] = []
    params: list[nn.Parameter] = []
    modules: list[nn.Module] = []
    seen: set[int] = set()  # a parameter shared by two modules (tied embeddings) belongs to the first
    for qualname, module in model.named_modules():
        own = [
            (pname, p)
            for pname, p in module.named_parameters(recurse=False)
            if p.requires_grad and id(p) not in seen
        ]
        if not own:
            continue
        first = len(params)
        index = {pname: first + i for i, (pname, _) in enumerate(own)}
        for _, p in own:
            seen.add(id(p))
            params.append(p)
        layers.append(
            Layer(
                name=qualname or ROOT_NAME,
                kind=type(module).__name__,
                first=first,
                count=len(own),
                weight=index.get("weight"),
                bias=index.get("bias"),
            )
        )
        modules.append(module)
    if not layers:
        raise ValueError(f"{type(model).__name__} has no trainable parameters: nothing to watch")
    return layers, params, modules


@dataclass(frozen=True, slots=True)
class GradNorms:
    """One step's per-parameter norms, still on their way to the host (see Deferred)."""

    values: Deferred  # grad norms of the present gradients, then (with weights) every parameter's weight norm
    present: tuple[bool, ...] | None  # which parameters had a gradient; None: all of them
    n_params: int
    with_weights: bool

    def host(self) -> tuple[list[float], list[float] | None]:
        """(grad norm per parameter, 0 where there was none; weight norm per parameter or None). Waits here."""
        values = self.values.tolist()
        n_grads = self.n_params if self.present is None else sum(self.present)
        if self.present is None:
            grads = values[:n_grads]
        else:
            it = iter(values[:n_grads])
            grads = [next(it) if has else 0.0 for has in self.present]
        return grads, (values[n_grads:] if self.with_weights else None)


class NormReader:
    """Per-parameter L2 norms of the gradients (and optionally the weights): ONE fused _foreach_norm, no sync."""

    def __init__(self, params: list[nn.Parameter], sparse: bool = False) -> None:
        self.params = params
        dtypes = {p.dtype for p in params}
        # Half-precision norms overflow at 65504: accumulate in float32 when every parameter is low precision.
        self._dtype = torch.float32 if dtypes <= set(_LOW_PRECISION) else None
        self._upcast = bool(dtypes & set(_LOW_PRECISION)) and self._dtype is None  # mixed: upcast the halves
        self._single_device = len({p.device for p in params}) == 1
        self._sparse = sparse  # a module may produce sparse gradients (nn.Embedding(sparse=True))

    def read(self, with_weights: bool) -> GradNorms | None:
        """The norms of the gradients present now (None when there is none at all), computed on their device."""
        grads = [p.grad for p in self.params]
        present = [g for g in grads if g is not None]
        if not present:
            return None
        complete = len(present) == len(grads)
        if self._sparse:
            present = [_dense(g) for g in present]
        tensors: list[torch.Tensor] = present + list(self.params) if with_weights else present
        if self._upcast:
            tensors = [t.float() if t.dtype in _LOW_PRECISION else t for t in tensors]
        if with_weights:
            with torch.no_grad():  # weights require grad: no autograd graph for their norms
                values = self._norms(tensors)
        else:  # gradients require no grad: no context to enter on the every-step path
            values = self._norms(tensors)
        return GradNorms(
            values=Deferred(values if values.dtype == torch.float32 else values.float()),
            present=None if complete else tuple(g is not None for g in grads),
            n_params=len(grads),
            with_weights=with_weights,
        )

    def _norms(self, tensors: list[torch.Tensor]) -> torch.Tensor:
        norms = torch._foreach_norm(tensors, 2, dtype=self._dtype)  # one fused kernel per device/dtype
        # Model parallel: the scalars are gathered on the CPU (a copy and a sync per tensor; rare).
        return torch.stack(norms if self._single_device else [n.cpu() for n in norms])


def may_be_sparse(model: nn.Module) -> bool:
    """Embedding and EmbeddingBag with sparse=True give sparse gradients."""
    return any(getattr(m, "sparse", False) is True for m in model.modules())


def _dense(g: torch.Tensor) -> torch.Tensor:
    """Sparse gradients (nn.Embedding(sparse=True)) hold their norm in their values."""
    return g.coalesce().values() if g.is_sparse else g


def combine(norms: list[float], layer: Layer) -> float:
    """A layer's norm: its `weight`'s, or the L2 norm over all its direct parameters."""
    if layer.weight is not None:
        return norms[layer.weight]
    return math.sqrt(sum(n * n for n in norms[layer.first : layer.first + layer.count]))
