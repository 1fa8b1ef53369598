"""``python -m genesys_resolver.aws_emulator`` or, before the package is built,
``python path/to/genesys_resolver/aws_emulator``: serve the strict AWS emulator."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

if __package__:
    from ._server import main
else:
    # Run by path: load this folder as a package of its own, without the enclosing package
    # (whose native module may not be built yet) and without its files on sys.path.
    _here = Path(__file__).resolve().parent
    if sys.path and Path(sys.path[0] or ".").resolve() == _here:
        del sys.path[0]
    _spec = importlib.util.spec_from_file_location(
        "_genesys_aws_emulator", _here / "__init__.py", submodule_search_locations=[str(_here)]
    )
    assert _spec is not None and _spec.loader is not None
    _package = importlib.util.module_from_spec(_spec)
    sys.modules[_spec.name] = _package
    _spec.loader.exec_module(_package)
    main = _package.main

if __name__ == "__main__":
    sys.exit(main())
