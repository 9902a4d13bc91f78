"""The client's activation registry: each module type's a'(z) against autograd's derivative of the module itself."""

import pytest
import torch
from torch import nn

from gradcast.activations import KNOWN, known

# One instance per registered type, with settings away from the defaults where the derivative depends on them.
MODULES = [
    nn.ReLU(),
    nn.ReLU6(),
    nn.LeakyReLU(0.2),
    nn.Sigmoid(),
    nn.Tanh(),
    nn.Hardtanh(-0.5, 1.5),
    nn.GELU(),
    nn.GELU(approximate="tanh"),
    nn.SiLU(),
    nn.ELU(alpha=0.7),
]


def test_every_registered_type_is_checked_here():
    assert {type(m) for m in MODULES} == set(KNOWN)


@pytest.mark.parametrize("module", MODULES, ids=lambda m: repr(m))
def test_the_registered_derivative_is_autograds(module):
    torch.manual_seed(0)
    z = torch.randn(4096) * 4  # float32: the probes measure on z.float()
    z = z[(z - z.round()).abs() > 1e-3]  # away from the kinks of ReLU6 (6), Hardtanh (-0.5, 1.5) and 0
    z64 = z.double().requires_grad_(True)  # the oracle in float64 (float32 autograd flushes GELU's far tail)
    (want,) = torch.autograd.grad(module(z64).sum(), z64)  # elementwise: d sum / dz_i = a'(z_i)
    entry = known(module)
    assert entry is not None
    got = entry.deriv(module, z)
    assert got.dtype == torch.float32
    assert torch.allclose(got.double(), want, rtol=1e-5, atol=1e-6)


def test_a_subclass_of_a_known_type_takes_its_entry():
    class Clipped(nn.LeakyReLU):
        pass

    assert known(Clipped(0.1)) is KNOWN[nn.LeakyReLU] and known(nn.Softplus()) is None
