"""Watch your own PyTorch training live on a GradCast dashboard. Needs only torch and the standard library.

    from gradcast import watch

    with watch(model, url="http://127.0.0.1:8000", name="my-cnn") as run:
        ...; loss.backward(); run.step(loss=loss); optimizer.step(); optimizer.zero_grad()

Or let the optimizer tell it when: `run = watch(model, optimizer=opt)` and `run.log(loss=loss)` once per step.
Lightning and the Hugging Face Trainer: gradcast.integrations.lightning / .huggingface. The wire protocol's
shapes: gradcast.protocol.
"""

from gradcast.version import __version__
from gradcast.watch import WatchedRun, watch

__all__ = ["WatchedRun", "__version__", "watch"]
