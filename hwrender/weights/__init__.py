"""The weights store: finds a model's files, checks them against its manifest, and loads them strictly.

A model is a folder ``<name>/`` holding ``model.safetensors``, ``config.json``, ``README.md`` (the
model card) and ``manifest.json`` (Hub repo, pinned commit, sha256 and size of every file). The
manifests ship in the ``hwrender_weights`` package (overridable with ``HWRENDER_WEIGHTS_ROOT``) even
when the big files do not, so what a model *should* be is always known offline.

Resolution order: an explicit folder (``--weights DIR``) → the bundled copy → the Hugging Face cache →
a download at the pinned revision. Only the last step touches the network, and never when offline
(``offline=True``, ``HF_HUB_OFFLINE=1`` or ``HWRENDER_OFFLINE=1``). torch and huggingface_hub are
imported only by the functions that need them, so listings stay fast.

The modules: ``manifest`` (file names, manifests, the bundled ones), ``tensors`` (strict safetensors
reading), ``config`` (config.json and its schema), ``model`` (a resolved folder and its file checks),
``store`` (resolution, status, verify), ``hub`` (cache, download, push), ``export`` (save_model).
"""

from .config import CONFIG_FIX, Setting, config_file, load_config, validate_config
from .export import save_model, update_card
from .hub import push
from .manifest import CARD_FILE, CONFIG_FILE, MANIFEST_FILE, MODEL_FILES, WEIGHTS_FILE, FileRecord, Manifest
from .model import FileCheck, ModelFiles
from .store import (
    UNVERIFIED_FIX, ModelInfo, VerifyReport, list_models, local_folder, looks_like_path, model_files,
    model_status, pull, resolve, verify,
)
from .tensors import load_state_dict

__all__ = [
    "CARD_FILE", "CONFIG_FILE", "CONFIG_FIX", "MANIFEST_FILE", "MODEL_FILES", "UNVERIFIED_FIX", "WEIGHTS_FILE",
    "FileCheck", "FileRecord", "Manifest", "ModelFiles", "ModelInfo", "Setting", "VerifyReport",
    "config_file", "list_models", "load_config", "load_state_dict", "local_folder", "looks_like_path",
    "model_files", "model_status", "pull", "push", "resolve", "save_model", "update_card", "validate_config",
    "verify",
]
