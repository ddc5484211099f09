"""Loading each tab's default hub model before the studio serves (`--preload-models`).

ZeroGPU needs it: a request runs in a worker forked from the main process, so only models
already loaded there (on "cuda", which the `spaces` package lets the main process name
before it has a GPU) reach the GPU without loading again on every request. Elsewhere it
trades a slower start for a first request without the wait.
"""

from __future__ import annotations

import logging
import time

from genai_studio.backends import registry
from genai_studio.backends.manager import ModelManager
from genai_studio.config import RECOMMENDED_HUB_MODELS, Settings

log = logging.getLogger(__name__)


def default_hub_models(settings: Settings) -> list[str]:
    """The first hub model of each tab's list (tabs in display order), once each."""
    specs = []
    for field_name in RECOMMENDED_HUB_MODELS:  # every model list, in tab order
        hub = [spec for spec in getattr(settings, field_name) if registry.uses_gpu(spec)]
        specs.extend(hub[:1])
    return list(dict.fromkeys(specs))


def preload(manager: ModelManager, specs: list[str]) -> list[str]:
    """Load `specs` in order while their estimated sizes fit the memory budget; returns the
    ones resident afterwards. A model that cannot load or fit is logged and skipped: its tab
    still serves the other models and says why when it is picked."""
    budget = manager.settings.memory_budget_mb
    planned = 0.0
    for spec in specs:
        size = manager.backend_for(spec).estimated_memory_mb
        if planned + size > budget:
            log.warning(
                "not preloading %s: %d MB more would pass the %d MB memory budget "
                "(raise STUDIO_MEMORY_BUDGET_MB if the machine has the memory)",
                spec,
                size,
                budget,
            )
            continue
        started = time.perf_counter()
        try:
            manager.load(spec)
        except Exception as exc:  # noqa: BLE001 - the studio serves without it; the tab says why
            log.warning("not preloading %s: %s", spec, exc)
            continue
        planned += size
        log.info("preloaded %s in %.1f s", spec, time.perf_counter() - started)
    resident = [spec for spec in specs if spec in manager.resident()]
    if len(resident) < len(specs):
        log.warning("preloaded %d of %d default hub models: %s", len(resident), len(specs), resident)
    return resident
