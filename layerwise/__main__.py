"""python -m layerwise: see layerwise.cli."""

from layerwise.cli import main

raise SystemExit(main())
