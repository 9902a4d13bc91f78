"""Watch your own PyTorch training loop on a GradCast dashboard. Needs only torch and the standard library.

with watch(model, url="http://127.0.0.1:8000", name="my-cnn") as run:
    ...; loss.backward(); run.step(loss=loss.item()); optimizer.step(); optimizer.zero_grad()
"""

from app.client.watch import WatchedRun, watch

__all__ = ["WatchedRun", "watch"]
