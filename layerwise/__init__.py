"""layerwise on the controller: fleet compliance runs, waivers and reports.

Hosts run only the facts module and the judge (library/, module_utils/); this package reads
what they send back, applies waivers, finds drift and writes the reports.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# the judge lives in module_utils (hosts get it through Ansible); the controller imports it
if str(ROOT / "module_utils") not in sys.path:
    sys.path.insert(0, str(ROOT / "module_utils"))
