"""carehard's configuration documents: one JSON Schema each (schemas/*.yml) checked by one validate(),
and the config file (file.py).

Every place that reads a document (the config file, the inventory's carehard_vendors and
carehard_bastions, carehard_backup_sets, carehard_notify, carehard_exposure_allowed, carehard_waivers,
the control catalog, the CaRE objectives file) checks its structure here first, then its meaning itself.
This package imports nothing of carehard but its errors, so that the catalog can use it.
"""

from carehard.config.file import SYSTEM_CONFIG, config_path, config_section, load_config
from carehard.config.schema import validate

__all__ = ["SYSTEM_CONFIG", "config_path", "config_section", "load_config", "validate"]
