"""``python -m bench``."""

from .run import main

raise SystemExit(main())
