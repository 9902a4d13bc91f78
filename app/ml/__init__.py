"""The pure PyTorch core: config, data, model, trainer and per-layer instrumentation. No web, no asyncio."""
